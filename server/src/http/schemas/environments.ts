import { closed, errorRef, errorResponses } from './shared.ts'

/**
 * Route schemas of 000a's environment routes: request validation and the OpenAPI document.
 * Names in the path are not patterned here: a name that cannot exist is 000a's 404.
 */
const envParams = {
  type: 'object',
  properties: { env_name: { type: 'string', description: 'The environment name' } },
  required: ['env_name'],
} as const

const notFound = { ...errorRef, description: 'environment_not_found' } as const
const str = { type: 'string' } as const
const bool = { type: 'boolean' } as const
const int = { type: 'integer' } as const
const nullableStr = { type: ['string', 'null'] } as const
const strings = { type: 'array', items: str } as const

const additions = {
  kind: { type: 'string', enum: ['conda', 'venv', 'system'], description: 'Taskyard: conda environment, venv, or the venv over the system Python' },
  location: { type: 'string', description: 'Taskyard: the environment directory' },
  size_bytes: { type: 'integer', description: 'Taskyard: bytes on disk' },
  status: {
    type: 'string',
    enum: ['building', 'ready', 'failed'],
    description:
      'Taskyard: building while a build runs (a new one is listed with no packages yet), failed when the last build failed (the environment was put back), else ready',
  },
  last_build: { ...buildSchema(), type: ['object', 'null'], description: 'Taskyard: the newest build; null for one never built here (base, conda’s own)' },
} as const

function buildSchema() {
  return closed({
    id: { type: 'integer' },
    action: { type: 'string', enum: ['create', 'install', 'uninstall', 'rebuild'] },
    started_at: { type: 'string' },
    ended_at: { type: ['string', 'null'], description: 'null while in progress' },
    ok: { type: ['boolean', 'null'], description: 'null while in progress' },
    error: { type: ['string', 'null'], description: 'why it failed (pip’s explaining lines, or an interruption by a server stop)' },
    log_url: { type: 'string' },
  })
}

export const buildLog = {
  tags: ['environments'],
  summary: 'Taskyard: the log of an environment build (its newest, or build_id), as JSON or followed live (stream=true, SSE)',
  description:
    'JSON: the last 1 MiB (offset= pages from a byte). stream=true: text/event-stream, each event `{"logs", "is_complete"}` with the byte offset as its id (Last-Event-ID resumes); the last event has is_complete true.',
  params: envParams,
  querystring: {
    type: 'object',
    properties: {
      build_id: { type: 'string', pattern: '^[1-9][0-9]{0,14}$' },
      stream: { type: 'string', enum: ['true', '1', 'false', '0'] },
      offset: { type: 'string', pattern: '^[0-9]{1,15}$' },
    },
  },
  response: {
    200: {
      description: 'JSON by default; text/event-stream with stream=true',
      content: {
        'application/json': {
          schema: closed({
            success: bool,
            environment: str,
            build: buildSchema(),
            logs: str,
            is_complete: bool,
            offset: int,
            next_offset: int,
            size: int,
          }),
        },
        'text/event-stream': { schema: { type: 'string' } },
      },
    },
    404: { ...errorRef, description: 'environment_not_found or build_not_found' },
    400: errorRef,
    ...errorResponses,
  },
} as const

const packagesBody = {
  type: 'object',
  properties: { packages: { type: 'array', items: { type: 'string' }, minItems: 1 } },
  required: ['packages'],
} as const

export const listEnvironments = {
  tags: ['environments'],
  summary: 'All environments with their packages (000a)',
  response: {
    200: {
      type: 'array',
      items: closed({ name: str, python_version: nullableStr, packages: strings, created_at: nullableStr, ...additions }),
    },
    ...errorResponses,
  },
} as const

export const environmentStats = {
  tags: ['environments'],
  summary: 'Environment statistics for the dashboard (000a): disk usage in GB, share of tasks, package counts',
  response: {
    200: closed({
      total_environments: int,
      active_environments: int,
      total_disk_usage: { type: 'number', description: 'GB' },
      latest_created: { ...closed({ name: str, created_at: nullableStr }), type: ['object', 'null'] },
      environment_usage: { type: 'array', items: closed({ name: str, usage_percent: { type: 'number' } }) },
      package_stats: { type: 'array', items: closed({ name: str, package_count: int }) },
    }),
    ...errorResponses,
  },
} as const

export const getEnvironment = {
  tags: ['environments'],
  summary: 'One environment: usage, disk usage (GB), packages with versions (000a)',
  params: envParams,
  response: {
    200: closed({
      name: str,
      python_version: nullableStr,
      created_at: nullableStr,
      usage_stats: closed({
        total_tasks: int,
        success_rate: { type: 'number' },
        avg_execution_time: { type: 'number', description: 'Seconds' },
        disk_usage: { type: 'number', description: 'GB' },
      }),
      packages: { type: 'array', items: closed({ name: str, version: str }) },
      ...additions,
    }),
    404: notFound,
    ...errorResponses,
  },
} as const

export const createEnvironment = {
  tags: ['environments'],
  summary: 'Create an environment (000a); Taskyard: optional requirements (text of a requirements.txt), installed all or nothing',
  body: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      python_version: { type: 'string', description: 'Taskyard: e.g. 3.11; one of the Pythons installed' },
      requirements: { type: 'string' },
    },
    required: ['name'],
  },
  response: {
    201: closed({ success: bool, message: str, environment: closed({ name: str, created_at: nullableStr }) }),
    400: errorRef,
    ...errorResponses,
  },
} as const

export const renameEnvironment = {
  tags: ['environments'],
  summary: 'Rename an environment; the tasks that used the old name use the new one (000a)',
  params: envParams,
  body: { type: 'object', properties: { new_name: { type: 'string' } }, required: ['new_name'] },
  response: {
    200: closed({ success: bool, message: str, old_name: str, new_name: str, updated_tasks_count: int }),
    400: errorRef,
    404: notFound,
    ...errorResponses,
  },
} as const

export const installPackages = {
  tags: ['environments'],
  summary: 'Install packages, all or nothing (000a); refused while a task of the environment runs',
  params: envParams,
  body: packagesBody,
  response: {
    200: closed({ success: bool, message: str, environment: str, installed_packages: strings }),
    400: errorRef,
    404: notFound,
    ...errorResponses,
  },
} as const

export const removePackages = {
  tags: ['environments'],
  summary: 'Remove packages by name, all or nothing (000a); refused while a task of the environment runs',
  params: envParams,
  body: packagesBody,
  response: {
    200: closed({ success: bool, message: str, environment: str, removed_packages: strings }),
    400: errorRef,
    404: notFound,
    ...errorResponses,
  },
} as const

export const deleteEnvironment = {
  tags: ['environments'],
  summary: 'Delete an environment (000a): refused while any task references it; Taskyard: force=true deletes it anyway unless a task of it runs',
  params: envParams,
  querystring: { type: 'object', properties: { force: { type: 'string', enum: ['true', 'false', '1', '0'] } } },
  response: { 204: { type: 'null', description: 'Deleted' }, 400: errorRef, 404: notFound, ...errorResponses },
} as const

export const exportEnvironment = {
  tags: ['environments'],
  summary: 'Taskyard: the environment pinned (pip freeze) as a requirements.txt attachment',
  params: envParams,
  response: {
    200: { description: 'requirements.txt, as an attachment', content: { 'text/plain': { schema: { type: 'string' } } } },
    404: notFound,
    ...errorResponses,
  },
} as const
