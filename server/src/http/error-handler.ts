import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { isDiskFull, TaskyardError, type ErrorCode } from '../domain/errors.ts'

/** A Record, so a new code does not compile until it has a status. docs/errors.md lists them all. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_input: 400,
  task_not_found: 404,
  execution_not_found: 404,
  artifact_not_found: 404,
  invalid_transition: 400,
  name_taken: 400,
  both_cron_and_delay: 400,
  invalid_cron: 400,
  invalid_delay: 400,
  invalid_update: 400,
  upload_failed: 400,
  no_script_file: 400,
  env_not_found: 400,
  reuse_missing_env: 400,
  requirements_failed_existing: 400,
  requirements_failed_new: 400,
  node_dependencies_failed: 400,
  invalid_requirements: 400,
  unauthenticated: 401,
  forbidden: 403,
  invalid_credentials: 401,
  too_many_attempts: 429,
  cross_site_request: 403,
  user_not_found: 404,
  token_not_found: 404,
  logs_failed: 500,
  database_busy: 503,
  unknown_fields: 400,
  insufficient_storage: 507,
  environment_not_found: 404,
  environment_exists: 400,
  environment_protected: 400,
  environment_in_use: 400,
  packages_failed: 400,
  python_unavailable: 400,
  node_unavailable: 400,
  environment_busy: 409,
  build_not_found: 404,
  server_not_found: 404,
  server_exists: 400,
  server_in_use: 409,
  host_key_changed: 409,
  host_key_mismatch: 400,
  server_unreachable: 502,
  command_denied: 400,
  run_on_other_server: 409,
  worker_busy: 409,
  queue_full: 409,
  invalid_time_zone: 400,
  invalid_misfire: 400,
  schedule_not_found: 404,
}

/** Seconds a client should wait after a database_busy 503: about the store's own lock budget. */
export const DATABASE_BUSY_RETRY_AFTER_S = 2

/** spec 000's error body: `{ success: false, message, ...details }`. */
export function errorBody(error: TaskyardError): Record<string, unknown> {
  return { success: false, message: error.message, ...error.details }
}

export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof TaskyardError) {
    if (error.code === 'database_busy') {
      request.log.warn({ err: error }, 'database busy')
      reply.header('retry-after', String(DATABASE_BUSY_RETRY_AFTER_S))
    }
    reply.status(STATUS_BY_CODE[error.code]).send(errorBody(error))
    return
  }
  const fe = error as FastifyError
  if (fe.validation) {
    reply.status(400).send({ success: false, message: 'Invalid request', error: fe.message })
    return
  }
  if (fe.code === 'FST_REQ_FILE_TOO_LARGE' || fe.code === 'FST_PARTS_LIMIT' || fe.code === 'FST_FILES_LIMIT' || fe.code === 'FST_FIELDS_LIMIT') {
    reply.status(400).send({ success: false, message: 'Failed to process uploaded file', error: fe.message })
    return
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    reply.status(fe.statusCode).send({ success: false, message: 'Invalid request', error: fe.message })
    return
  }
  if (isDiskFull(error)) {
    // Full where no layer named what it was writing: still the user's to know, and not a bug.
    request.log.error({ err: error }, 'disk full')
    reply.status(507).send({ success: false, message: 'Insufficient storage', error: 'No space left on device' })
    return
  }
  request.log.error({ err: error }, 'unhandled error')
  reply.status(500).send({ success: false, message: 'Internal server error', error: 'An unexpected error occurred; see the server log' })
}
