/**
 * Route schemas: they validate what Fastify can validate (params, query, JSON bodies) and are the
 * source of the OpenAPI document at /api/openapi.json. Multipart bodies are described, not
 * validated here: http/parse/ checks each field and answers in spec 000's words.
 */
const taskIdParams = {
  type: 'object',
  properties: { task_id: { type: 'string', description: 'The task id (integer)' } },
  required: ['task_id'],
} as const

const errorBody = {
  type: 'object',
  properties: { success: { type: 'boolean' }, message: { type: 'string' }, error: { type: 'string' } },
} as const

/**
 * The fields of each multipart route, in one place: a field not listed here is refused by name
 * (http/known-fields.ts). Adding a field is one line here plus its use in the route.
 * `file` parts stream to disk, `text` parts may be a small file read as text or a plain field.
 */
import { shellTaskBody, taskPageQuery } from './shell-tasks.ts'

export const CREATE_TASK_FIELDS = {
  script_file: 'file',
  conda_env: 'field',
  task_name: 'field',
  requirements_file: 'text',
  requirements: 'field',
  reuse_env: 'field',
  cron_expression: 'field',
  delay_seconds: 'field',
  command: 'field',
  priority: 'field',
  run_as: 'field',
  memory_limit_mb: 'field',
  max_log_mb: 'field',
} as const satisfies Record<string, MultipartFieldKind>

export const UPDATE_SCRIPT_FIELDS = {
  script_file: 'file',
  command: 'field',
  force: 'field',
} as const satisfies Record<string, MultipartFieldKind>

export type MultipartFieldKind = 'file' | 'text' | 'field'

export const createTask = {
  tags: ['tasks'],
  summary: 'Create a task from an uploaded script or ZIP (spec 000), or a shell command on a registered server (spec 001, JSON)',
  consumes: ['multipart/form-data', 'application/json'],
  body: shellTaskBody,
  description:
    `multipart/form-data fields: ${Object.keys(CREATE_TASK_FIELDS).join(', ')}. Any other field is refused (400 unknown_fields). ` +
    'run_as (admins only): the OS account the runs get (user name or uid:gid) when the server is root; ' +
    'memory_limit_mb: memory limit of each run (1–1048576 MiB); max_log_mb: log size cap of each run, at most TASKYARD_MAX_LOG_BYTES. ' +
    'A JSON body (spec 001) is {name, command, server_id, cron_expr}: 200 {success, message, task: {id, name, command, server_id, status, last_run, next_run, created_at}}.',
} as const

export const listTasks = {
  tags: ['tasks'],
  summary: 'List defined tasks, or run history with type=history',
  querystring: {
    type: 'object',
    properties: { type: { type: 'string', enum: ['defined', 'history'] }, ...taskPageQuery },
  },
} as const

export const stats = { tags: ['tasks'], summary: 'Task statistics for the dashboard' } as const
export const history = { tags: ['tasks'], summary: 'Runs of the last month' } as const

export const getTask = {
  tags: ['tasks'],
  summary: 'A task with its runs, metrics and latest log',
  params: taskIdParams,
  querystring: {
    type: 'object',
    properties: { history_limit: { type: 'integer', minimum: 1, maximum: 10000, description: 'How many recent runs to list (default 100)' } },
  },
} as const

export const logs = {
  tags: ['tasks'],
  summary:
    'A run log: its last 1 MiB by default, a byte range with offset/limit, the whole file with download=1, or Server-Sent Events with stream=true (resume with Last-Event-ID)',
  params: {
    type: 'object',
    properties: { task_id: { type: 'string' }, execution_id: { type: 'string' } },
    required: ['task_id', 'execution_id'],
  },
  querystring: {
    type: 'object',
    properties: {
      stream: { type: 'string', enum: ['true', 'false', '1', '0'] },
      download: { type: 'string', enum: ['true', 'false', '1', '0'], description: 'The whole log as a text/plain attachment' },
      offset: { type: 'string', description: 'Byte offset to start at (default: the last 1 MiB); moved forward past the rest of a character it falls inside' },
      limit: { type: 'string', description: 'Bytes to read at most, 1 to 8388608 (default 1048576); without offset, the last `limit` bytes' },
    },
  },
} as const

export const taskAction = { tags: ['tasks'], params: taskIdParams, response: { 404: errorBody } } as const

export const updateTask = {
  tags: ['tasks'],
  summary: 'Update a task (spec 000 PUT)',
  params: taskIdParams,
  body: {
    type: 'object',
    properties: {
      task_name: { type: 'string' },
      script: { type: 'string', description: 'New content of the task script' },
      conda_env: { type: 'string' },
      cron_expression: { type: ['string', 'null'] },
      requirements: { type: 'string' },
      delay_seconds: { type: ['number', 'string', 'null'] },
      priority: { type: ['string', 'integer'] },
      command: { type: 'string' },
      run_as: { type: ['string', 'null'], description: 'Admins only: the OS account the runs get (user name or uid:gid); null or empty: the server default' },
      memory_limit_mb: { type: ['number', 'string', 'null'], description: 'Memory limit of each run in MiB (1–1048576); null: none' },
      max_log_mb: { type: ['number', 'string', 'null'], description: 'Log size cap of each run in MiB, at most TASKYARD_MAX_LOG_BYTES; null: the server cap' },
    },
    // Unknown fields are refused by name (app.ts), not dropped: a typo must not pass silently.
    additionalProperties: false,
  },
} as const

export const updateScript = {
  tags: ['tasks'],
  summary: "Replace a task's files (spec 000 update-script)",
  params: taskIdParams,
  consumes: ['multipart/form-data'],
  description: `multipart/form-data fields: ${Object.keys(UPDATE_SCRIPT_FIELDS).join(', ')}. Any other field is refused (400 unknown_fields).`,
} as const
