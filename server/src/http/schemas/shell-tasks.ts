/**
 * spec 001's JSON body of POST /api/tasks (issue 12). No `type` and no `required`: the same route
 * takes spec 000's multipart form, whose body this schema must let through; the JSON body's
 * required fields are refused by name in http/parse/create-shell-task-body.ts.
 */
export const shellTaskBody = {
  description: 'application/json (spec 001): a shell command on a registered server. Required: name, command, server_id, cron_expr.',
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
  },
  additionalProperties: false,
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
    last_run: { type: ['string', 'null'], format: 'date-time' },
    next_run: { type: ['string', 'null'], format: 'date-time' },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const
