/** Route schemas of the queue (issue 8, spec 002): settings, the queue itself, priorities. */
import { errorRef, taskIdParams, executionIdParams } from './shared.ts'
/** The shared error body: it lists every field an error may carry, so none is dropped. */
const errorBody = errorRef

const nullableInt = { type: ['integer', 'null'] } as const

const settings = {
  type: 'object',
  additionalProperties: false,
  required: ['max_workers', 'max_workers_source', 'when_busy', 'configured_max_workers', 'updated_at', 'updated_by'],
  properties: {
    max_workers: {
      ...nullableInt,
      description: 'Runs executing (running or paused) at once across every server of the database, in force now; null = no limit',
    },
    max_workers_source: { type: 'string', enum: ['admin', 'config'], description: "'admin': set with PUT /api/settings; 'config': TASKYARD_MAX_WORKERS" },
    when_busy: {
      type: 'string',
      enum: ['queue', 'refuse'],
      description:
        "'queue' (default): a run submitted while every slot is taken waits queued; 'refuse': the submit is refused (409 worker_busy; spec 003's single-task mode is max_workers 1 with refuse)",
    },
    configured_max_workers: { ...nullableInt, description: 'TASKYARD_MAX_WORKERS of the server that answers; null = no limit' },
    updated_at: { type: ['string', 'null'], description: 'When an admin last changed the settings (YYYY-MM-DD HH:MM:SS)' },
    updated_by: { ...nullableInt, description: 'The user id of that admin' },
  },
} as const

const settingsAnswer = {
  type: 'object',
  additionalProperties: false,
  required: ['success', 'settings'],
  properties: { success: { type: 'boolean' }, message: { type: 'string' }, settings },
} as const

export const getSettingsSchema = {
  tags: ['queue'],
  summary: "The queue's settings: max_workers in force and where it comes from (any logged-in user)",
  response: { 200: settingsAnswer, 401: errorBody },
} as const

export const updateSettingsSchema = {
  tags: ['queue'],
  summary: 'Change max_workers at run time (admins); null returns to TASKYARD_MAX_WORKERS. Shared by every server of the database, kept across restarts',
  body: {
    type: 'object',
    properties: { max_workers: { type: ['integer', 'null'], minimum: 1, maximum: 1024 }, when_busy: { type: 'string', enum: ['queue', 'refuse'] } },
  },
  response: { 200: settingsAnswer, 400: errorBody, 401: errorBody, 403: errorBody },
} as const

export const setPriorityBody = {
  type: 'object',
  required: ['priority'],
  properties: {
    priority: {
      type: ['integer', 'string'],
      description: "0–11 (lower starts first), or spec 000's word: 'high' (2), 'normal' (5), 'low' (8). JSON or a form field",
    },
  },
} as const

export const setPrioritySchema = {
  tags: ['queue'],
  summary: "Change a task's priority and that of its queued runs (spec 002; the task's owner or an admin)",
  params: taskIdParams,
  body: setPriorityBody,
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['success', 'message', 'task_id', 'priority', 'priority_word', 'previous_priority', 'queued_runs_updated'],
      properties: {
        success: { type: 'boolean' },
        message: { type: 'string', description: "'Task priority updated: <task_id> -> <priority>'" },
        task_id: { type: 'integer' },
        priority: { type: 'integer', minimum: 0, maximum: 11 },
        priority_word: { type: 'string', enum: ['high', 'normal', 'low'] },
        previous_priority: { type: 'integer', minimum: 0, maximum: 11 },
        queued_runs_updated: { type: 'integer', description: 'Queued runs of the task that took the new priority' },
      },
    },
    400: errorBody,
    401: errorBody,
    403: errorBody,
    404: errorBody,
  },
} as const

const queueEntry = {
  type: 'object',
  additionalProperties: false,
  required: ['position', 'execution_id', 'task_id', 'task_name', 'priority', 'priority_word', 'trigger', 'queued_at'],
  properties: {
    position: { type: 'integer', minimum: 1, description: '1 starts next' },
    execution_id: { type: 'integer' },
    task_id: { type: 'integer' },
    task_name: { type: 'string' },
    priority: { type: 'integer', minimum: 0, maximum: 11 },
    priority_word: { type: 'string', enum: ['high', 'normal', 'low'] },
    trigger: { type: 'string', enum: ['create', 'manual', 'schedule', 'resume', 'retry'] },
    queued_at: { type: 'string', description: 'When the run became due (YYYY-MM-DD HH:MM:SS)' },
    not_before: { type: 'string', description: 'Only on a retry waiting out its backoff: it does not start before this time, whatever its position' },
  },
} as const

export const listQueueSchema = {
  tags: ['queue'],
  summary: 'The queued runs in the order they will start: priority (lower first), then due time (any logged-in user)',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { page: { type: 'integer', minimum: 1, default: 1 }, page_size: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['success', 'queue', 'total', 'page', 'page_size', 'running', 'max_workers'],
      properties: {
        success: { type: 'boolean' },
        queue: { type: 'array', items: queueEntry },
        total: { type: 'integer', description: 'Queued runs in all' },
        page: { type: 'integer' },
        page_size: { type: 'integer' },
        running: { type: 'integer', description: 'Runs holding a worker slot now (running or paused), on every server' },
        max_workers: { ...nullableInt, description: 'The limit in force; null = none' },
      },
    },
    400: errorBody,
    401: errorBody,
  },
} as const

const runStatus = { type: 'string', enum: ['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'abnormal', 'timeout'] } as const

export const cancelExecutionSchema = {
  tags: ['queue'],
  summary: "Cancel one run (spec 002): a queued one never starts, a running or paused one is stopped (the task's owner or an admin)",
  params: executionIdParams,
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['success', 'message', 'execution_id', 'task_id', 'previous_status', 'status'],
      properties: {
        success: { type: 'boolean' },
        message: { type: 'string', description: "'Execution cancelled: <execution_id>'" },
        execution_id: { type: 'integer' },
        task_id: { type: 'integer' },
        previous_status: runStatus,
        status: runStatus,
        requested: {
          type: 'boolean',
          const: true,
          description: 'Only when another server supervises the run: the stop was recorded for it and applies within about a second (status still running)',
        },
      },
    },
    400: errorBody,
    401: errorBody,
    403: errorBody,
    404: errorBody,
    409: errorBody,
  },
} as const

const bulkResult = {
  type: 'object',
  additionalProperties: false,
  required: ['success', 'message', 'result'],
  properties: {
    success: { type: 'boolean' },
    message: { type: 'string', description: "'Cancelled <n> runs'" },
    result: {
      type: 'object',
      additionalProperties: false,
      required: ['cancelled', 'failed', 'total'],
      properties: {
        cancelled: { type: 'integer' },
        failed: { type: 'integer', description: 'Runs that ended or started meanwhile, or run on another server' },
        total: { type: 'integer' },
      },
    },
  },
} as const

const cancelRunning = {
  type: 'boolean',
  default: false,
  description: 'Also stop running and paused runs (default: queued ones only). JSON or a form field',
} as const

export const cancelByTypeSchema = {
  tags: ['queue'],
  summary: 'Cancel the queued runs, and with cancel_running the running ones, of the tasks of one task_type the caller may stop (spec 002)',
  body: {
    type: 'object',
    required: ['task_type'],
    properties: {
      task_type: { type: 'string', minLength: 1, maxLength: 100, description: "A task's task_type, e.g. 'file_scan'" },
      cancel_running: cancelRunning,
    },
  },
  response: { 200: bulkResult, 400: errorBody, 401: errorBody, 403: errorBody },
} as const

export const cancelAllSchema = {
  tags: ['queue'],
  summary: 'Cancel every queued run, and with cancel_running every running one too, of the tasks the caller may stop (spec 002)',
  body: { type: ['object', 'null'], properties: { cancel_running: cancelRunning } },
  response: { 200: bulkResult, 400: errorBody, 401: errorBody, 403: errorBody },
} as const
