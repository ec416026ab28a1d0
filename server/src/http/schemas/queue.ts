/** Route schemas of the queue (issue 8, spec 002): settings, the queue itself, priorities. */
const errorBody = {
  type: 'object',
  additionalProperties: false,
  required: ['success', 'message'],
  properties: {
    success: { type: 'boolean' },
    message: { type: 'string' },
    error: { type: 'string' },
    unknown_fields: { type: 'array', items: { type: 'string' } },
    accepted_fields: { type: 'array', items: { type: 'string' } },
  },
} as const

const nullableInt = { type: ['integer', 'null'] } as const

const settings = {
  type: 'object',
  additionalProperties: false,
  required: ['max_workers', 'max_workers_source', 'configured_max_workers', 'updated_at', 'updated_by'],
  properties: {
    max_workers: {
      ...nullableInt,
      description: 'Runs executing (running or paused) at once across every server of the database, in force now; null = no limit',
    },
    max_workers_source: { type: 'string', enum: ['admin', 'config'], description: "'admin': set with PUT /api/settings; 'config': TASKYARD_MAX_WORKERS" },
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
    properties: { max_workers: { type: ['integer', 'null'], minimum: 1, maximum: 1024 } },
  },
  response: { 200: settingsAnswer, 400: errorBody, 401: errorBody, 403: errorBody },
} as const
