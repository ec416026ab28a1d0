/**
 * Schemas every route shares, registered once with `app.addSchema` (app.ts) and referenced by
 * `$ref`: the OpenAPI document names them under components.schemas instead of repeating them.
 *
 * Fastify serializes answers with these schemas, and its serializer drops every field a schema
 * does not list: the error body lists every field a TaskyardError may carry (the compiler holds
 * it to domain/errors.ts's ErrorDetails, both ways).
 */
import type { ErrorDetails } from '../../domain/errors.ts'

const errorBodyProperties = {
  success: { type: 'boolean', const: false },
  message: { type: 'string' },
  error: { type: ['string', 'null'], description: 'What is wrong, in words' },
  current_status: { type: 'string', description: 'The task status that refused a transition' },
  retry_after: { type: 'integer', description: 'Seconds to wait before trying again' },
  referencing_tasks: { type: 'array', items: { type: 'string' }, description: 'Names of the tasks that use the environment or server' },
  failed_packages: { type: 'array', items: { type: 'string' } },
  error_details: { type: 'array', items: { type: 'string' }, description: 'pip’s explaining lines, one entry per failed package' },
  environment_state: { type: 'string' },
  unknown_fields: { type: 'array', items: { type: 'string' } },
  accepted_fields: { type: 'array', items: { type: 'string' } },
  pinned_fingerprint: { type: ['string', 'null'] },
  offered_fingerprint: { type: ['string', 'null'] },
  available_versions: { type: 'array', items: { type: 'string' } },
  rule: { type: 'string', description: 'The deny-list rule the command broke' },
  max_workers: { type: 'integer', description: 'The limit of concurrent runs that refused the submit' },
  max_live_runs: { type: 'integer', description: 'The most live runs one queue or allow task may have (queue_full)' },
} as const satisfies Record<keyof ErrorDetails | 'success' | 'message', unknown>

// The other direction: a field listed here that ErrorDetails does not know fails to compile.
type ListedOnly = Exclude<keyof typeof errorBodyProperties, keyof ErrorDetails | 'success' | 'message'>
const everyListedFieldIsKnown: [ListedOnly] extends [never] ? true : never = true
void everyListedFieldIsKnown

/** spec 000's error body: `{ success: false, message, ...details }` (http/error-handler.ts). */
export const errorBodySchema = {
  $id: 'ErrorBody',
  type: 'object',
  description: 'spec 000’s error body; docs/errors.md lists the codes and which fields each carries',
  additionalProperties: false,
  required: ['success', 'message'],
  properties: errorBodyProperties,
} as const

/** 000a's account routes answer their own refusals as `{ message }` alone. */
export const messageBodySchema = {
  $id: 'MessageBody',
  type: 'object',
  additionalProperties: false,
  required: ['message'],
  properties: { message: { type: 'string' } },
} as const

export const errorRef = { $ref: 'ErrorBody#' } as const
export const messageRef = { $ref: 'MessageBody#' } as const

/**
 * The refusals any authenticated route may answer: bad input or unknown fields (400), no or
 * expired credentials (401), a role or a cross-site request refused (403), a database busy (503),
 * a full disk (507), a bug (500). Spread into every route's `response`; a route names the
 * specific statuses it also answers for the OpenAPI reader.
 */
export const errorResponses = { '4xx': errorRef, '5xx': errorRef } as const

/** `{ success: true, message }`: the answer of an action that returns nothing else. */
export const okMessage = {
  type: 'object',
  additionalProperties: false,
  required: ['success', 'message'],
  properties: { success: { type: 'boolean' }, message: { type: 'string' } },
} as const

/** A closed object with every property required: most answers, whose fields are always there. */
export function closed<const P extends Record<string, unknown>>(properties: P) {
  return { type: 'object', additionalProperties: false, required: Object.keys(properties) as (keyof P & string)[], properties } as const
}

/** The `:task_id` path parameter every task route shares. */
export const taskIdParams = {
  type: 'object',
  properties: { task_id: { type: 'string', description: 'The task id (integer)' } },
  required: ['task_id'],
} as const

/** The `:execution_id` path parameter every run route shares. */
export const executionIdParams = {
  type: 'object',
  properties: { execution_id: { type: 'string', description: 'The execution (run) id' } },
  required: ['execution_id'],
} as const
