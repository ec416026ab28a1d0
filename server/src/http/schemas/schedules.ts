/** Route schemas of schedules (issue 8, spec 003's ScheduleResponse): request validation, response shapes, OpenAPI. */
import { errorRef, taskIdParams } from './shared.ts'

/** The shared error body: it lists every field an error may carry, so none is dropped. */
const errorBody = errorRef

const time = { type: ['string', 'null'], description: '`YYYY-MM-DD HH:MM:SS` in the server time zone' } as const

const schedule = {
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'task_id',
    'task_name',
    'cron_expression',
    'is_enabled',
    'description',
    'time_zone',
    'misfire',
    'last_execution_at',
    'next_execution_at',
    'execution_count',
    'created_at',
    'updated_at',
  ],
  properties: {
    id: { type: 'string', description: 'The schedule id: its task id (spec 003 flow_id)' },
    task_id: { type: 'integer' },
    task_name: { type: 'string' },
    cron_expression: { type: 'string', description: '5 fields (minute hour day month weekday) or 6 with seconds first' },
    is_enabled: { type: 'boolean', description: 'False: the schedule queues no runs' },
    description: { type: ['string', 'null'] },
    time_zone: { type: ['string', 'null'], description: "IANA zone the expression is read in; null: the server's (TASKYARD_TIME_ZONE)" },
    misfire: { type: 'string', enum: ['run_once', 'skip'], description: 'What a time seen over a minute late (the server was down) does' },
    last_execution_at: { ...time, description: 'The scheduled time of the last run the schedule queued' },
    next_execution_at: { ...time, description: 'When it next queues a run; null when switched off or stopped' },
    execution_count: { type: 'integer', description: 'Runs the schedule has queued' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
} as const

const slot = {
  type: 'object',
  additionalProperties: false,
  required: ['scheduled_at', 'outcome', 'reason', 'execution_id', 'recorded_at'],
  properties: {
    scheduled_at: { type: 'string', description: 'The scheduled time' },
    outcome: { type: 'string', enum: ['fired', 'skipped'] },
    reason: {
      type: ['string', 'null'],
      enum: ['misfire_run_once', 'misfire_skip', 'coalesced', 'coalesced_many', 'run_active', 'queue_full', null],
      description: 'null: ran on time. See the README (Schedules) for each reason',
    },
    execution_id: { type: ['string', 'null'], description: 'The run queued for a fired time' },
    recorded_at: { type: 'string', description: 'When the scheduler decided' },
  },
} as const

export const listSchedules = {
  tags: ['schedules'],
  summary: 'List every cron schedule the user may read (spec 003 GET /schedule)',
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['success', 'schedules'],
      properties: { success: { type: 'boolean' }, schedules: { type: 'array', items: schedule } },
    },
    401: errorBody,
  },
} as const

const oneSchedule = {
  type: 'object',
  additionalProperties: false,
  required: ['success', 'schedule'],
  properties: { success: { type: 'boolean' }, message: { type: 'string' }, schedule },
} as const

export const getSchedule = {
  tags: ['schedules'],
  summary: "One task's schedule (spec 003 GET /schedule/{id})",
  params: taskIdParams,
  response: { 200: oneSchedule, 401: errorBody, 403: errorBody, 404: errorBody },
} as const

export const updateSchedule = {
  tags: ['schedules'],
  summary: "Change a task's schedule (spec 003 PUT /schedule/{id})",
  description:
    'Every field optional, at least one given. A new expression or zone, or a schedule switched on again, reads its next time from now ' +
    '(the times while it was off are not made up for). Owners (operators) and admins; audited as schedule.update.',
  params: taskIdParams,
  body: {
    type: 'object',
    properties: {
      cron_expression: { type: 'string' },
      is_enabled: { type: 'boolean' },
      description: { type: ['string', 'null'] },
      time_zone: { type: ['string', 'null'], description: "IANA zone; null: the server's" },
      misfire: { type: 'string', description: 'run_once or skip' },
    },
    // Unknown fields are refused by name (app.ts), not dropped.
    additionalProperties: false,
  },
  response: { 200: oneSchedule, 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody },
} as const

export const scheduleHistory = {
  tags: ['schedules'],
  summary: "The times a task's schedule decided about, latest first: fired with their run, or skipped with the reason",
  params: taskIdParams,
  querystring: {
    type: 'object',
    properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['success', 'task_id', 'slots'],
      properties: { success: { type: 'boolean' }, task_id: { type: 'integer' }, slots: { type: 'array', items: slot } },
    },
    400: errorBody,
    401: errorBody,
    403: errorBody,
    404: errorBody,
  },
} as const
