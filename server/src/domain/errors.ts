/** Stable codes. Clients and tests match on these, never on message text. */
export type ErrorCode =
  | 'invalid_input'
  | 'task_not_found'
  | 'execution_not_found'
  | 'artifact_not_found'
  | 'invalid_transition'
  | 'name_taken'
  | 'both_cron_and_delay'
  | 'invalid_cron'
  | 'invalid_delay'
  | 'invalid_update'
  | 'upload_failed'
  | 'no_script_file'
  | 'env_not_found'
  | 'reuse_missing_env'
  | 'requirements_failed_existing'
  | 'requirements_failed_new'
  | 'node_dependencies_failed'
  | 'invalid_requirements'
  | 'unauthenticated'
  | 'forbidden'
  | 'invalid_credentials'
  | 'too_many_attempts'
  | 'cross_site_request'
  | 'user_not_found'
  | 'token_not_found'
  | 'logs_failed'
  | 'database_busy'
  | 'unknown_fields'
  | 'insufficient_storage'
  | 'environment_not_found'
  | 'environment_exists'
  | 'environment_protected'
  | 'environment_in_use'
  | 'packages_failed'
  | 'python_unavailable'
  | 'node_unavailable'
  | 'environment_busy'
  | 'build_not_found'
  | 'server_not_found'
  | 'server_exists'
  | 'server_in_use'
  | 'host_key_changed'
  | 'host_key_mismatch'
  | 'server_unreachable'
  | 'command_denied'
  | 'run_on_other_server'
  | 'worker_busy'
  | 'queue_full'
  | 'invalid_time_zone'
  | 'invalid_misfire'
  | 'schedule_not_found'

/**
 * Every extra field an error body may carry, in one place: the HTTP error body schema
 * (http/schemas/shared.ts) lists exactly these, so a field added here without it fails to compile
 * instead of being dropped silently by the response serializer.
 */
export interface ErrorDetails {
  /** What is wrong, in words; null when a tool failed without saying why. */
  error?: string | null
  current_status?: string
  retry_after?: number
  referencing_tasks?: string[]
  failed_packages?: string[]
  error_details?: string[]
  environment_state?: string
  unknown_fields?: string[]
  accepted_fields?: string[]
  pinned_fingerprint?: string | null
  offered_fingerprint?: string | null
  available_versions?: string[]
  /** The deny-list rule a command broke. */
  rule?: string
  /** The global limit of concurrent runs that refused a submit (when_busy: refuse). */
  max_workers?: number
  max_live_runs?: number
}

/** An expected failure the caller can act on. Anything else thrown is a bug (500). */
export class TaskyardError extends Error {
  override readonly name = 'TaskyardError'
  readonly code: ErrorCode
  /** Extra response fields, e.g. `{ error, current_status }` as spec 000 shows them. */
  readonly details: Readonly<ErrorDetails>
  constructor(code: ErrorCode, message: string, details: Readonly<ErrorDetails> = {}) {
    super(message)
    this.code = code
    this.details = details
  }
}

/** spec 000: every "not found" on /api/tasks/<id> uses this message. */
export function taskNotFound(taskId: number | string): TaskyardError {
  return new TaskyardError('task_not_found', `Task with ID ${taskId} not found`)
}

/** spec 000: an upload that cannot be used; `reason` names the entry or limit at fault. */
export function uploadFailed(reason: string): TaskyardError {
  return new TaskyardError('upload_failed', 'Failed to process uploaded file', { error: reason })
}

/** spec 000's 401 body: no or dead credentials. */
export function authenticationRequired(): TaskyardError {
  return new TaskyardError('unauthenticated', 'Authentication required', { error: 'Please log in to perform this operation' })
}

/** spec 000's 403 body, e.g. `You do not have permission to stop this task`. */
export function insufficientPrivileges(what: string): TaskyardError {
  return new TaskyardError('forbidden', 'Unauthorized - Insufficient privileges', { error: `You do not have permission to ${what}` })
}

/** The disk (or quota) the server writes to is full: 507, naming what was being written. */
export function insufficientStorage(doing: string): TaskyardError {
  return new TaskyardError('insufficient_storage', 'Failed to process uploaded file', { error: `No space left on device while ${doing}` })
}

/** Whether `error` is the file system saying it is full (ENOSPC) or over quota (EDQUOT). */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'ENOSPC' || code === 'EDQUOT'
}

/** spec 000's PUT refuses a bad value in its own words, 'Invalid update parameters'. */
export function invalidUpdate(error: string): TaskyardError {
  return new TaskyardError('invalid_update', 'Invalid update parameters', { error })
}

/** Rethrows a bad-input refusal in PUT's words; any other (a 403) as it is. */
export function rethrowInUpdateWords(error: unknown): never {
  if (error instanceof TaskyardError && error.code === 'invalid_input') throw invalidUpdate(error.details.error as string)
  throw error
}
