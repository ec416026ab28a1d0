/**
 * spec 001's JSON body of POST /api/tasks (issue 12), by content type: the same route takes spec
 * 000's multipart form, which Fastify then leaves to http/parse/. No `required`: the JSON body's
 * missing fields are refused by name in http/parse/create-shell-task-body.ts.
 */
import { errorRef } from './shared.ts'
export const shellTaskBody = {
  content: {
    'application/json': {
      schema: {
        type: 'object',
        description: 'spec 001: a shell command on a registered server. Required: name, command, server_id, cron_expr.',
        properties: {
          name: { type: 'string', description: 'The task name (unique)' },
          command: { type: 'string', description: 'The shell command, checked against the deny-list before anything is stored' },
          server_id: { type: 'integer', description: 'A registered server the user may run commands on' },
          cron_expr: { type: 'string', description: "A cron expression, or '@once' for one run now" },
          priority: {
            oneOf: [
              { type: 'string', enum: ['low', 'normal', 'high'] },
              { type: 'integer', minimum: 0, maximum: 11 },
            ],
          },
          concurrency: {
            type: 'string',
            description: 'Issue 8: forbid (default), queue, allow or replace: what a run due while the previous one is live does',
          },
          max_retries: { type: 'integer', description: 'Issue 8: automatic retries of a failed, timed-out or abnormal run (0–10, default 0)' },
          retry_backoff_seconds: { type: 'integer', description: 'Wait before the first retry, doubled for each next one (1–86400, default 10)' },
          retry_max_backoff_seconds: { type: 'integer', description: 'The longest wait between retries (1–86400, default 3600)' },
        },
        additionalProperties: false,
      },
    },
  },
} as const

/** spec 001's task (in the create answer and the paged list). */
export const shellTaskItem = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'command', 'server_id', 'status', 'last_run', 'next_run', 'created_at'],
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    command: { type: 'string' },
    server_id: { type: ['integer', 'null'], description: 'null: the task runs on the Taskyard machine' },
    status: { type: 'integer', enum: [0, 1], description: 'spec 001: 0 disabled (stopped or paused), 1 enabled' },
    last_run: { type: ['string', 'null'], description: 'ISO 8601 instant (UTC)' },
    next_run: { type: ['string', 'null'], description: 'ISO 8601 instant (UTC)' },
    created_at: { type: 'string', description: 'ISO 8601 instant (UTC)' },
  },
} as const

/** The shared error body: it lists every field an error may carry, so none is dropped. */
const errorBody = errorRef

/** spec 001's paging and filters of GET /api/tasks; without page or page_size the answer is spec 000's array. */
/** spec 001's page of GET /api/tasks (with page or page_size). */
export const shellTaskPage = {
  type: 'object',
  additionalProperties: false,
  required: ['list', 'total', 'page', 'page_size'],
  properties: { list: { type: 'array', items: shellTaskItem }, total: { type: 'integer' }, page: { type: 'integer' }, page_size: { type: 'integer' } },
} as const

export const taskPageQuery = {
  page: { type: 'integer', minimum: 1, description: 'spec 001: page number (default 1); with page or page_size the answer is {list, total, page, page_size}' },
  page_size: { type: 'integer', minimum: 1, description: 'spec 001: tasks per page (default 10, at most 100)' },
  server_id: { type: 'integer', minimum: 1, description: 'only tasks on this registered server' },
  status: { type: 'integer', enum: [0, 1], description: 'spec 001: 0 disabled (stopped, paused), 1 enabled' },
  start_time: { type: 'string', description: 'last run at or after this ISO 8601 instant' },
  end_time: { type: 'string', description: 'last run at or before this ISO 8601 instant' },
  name: { type: 'string', maxLength: 256, description: 'case-insensitive part of the name' },
  created_by: { type: 'integer', minimum: 1, description: 'the id of the user who created the task' },
} as const

export const executionLog = {
  tags: ['tasks'],
  summary: "spec 001: an execution record's output and error apart, with its status (0 running, 1 success, 2 failed), times and duration",
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string', description: 'The execution (run) id' } } },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['output', 'error', 'status', 'start_time', 'end_time', 'duration'],
      properties: {
        output: { type: 'string', description: 'stdout (a local run: its whole log, stdout and stderr in order)' },
        error: { type: 'string', description: 'stderr (empty for a local run)' },
        status: { type: 'integer', enum: [0, 1, 2], description: '0 queued or running, 1 succeeded, 2 failed (a timeout too)' },
        start_time: { type: ['string', 'null'] },
        end_time: { type: ['string', 'null'] },
        duration: { type: ['integer', 'null'], description: 'whole seconds from start to end' },
      },
    },
    401: errorBody,
    403: errorBody,
    404: errorBody,
  },
} as const
