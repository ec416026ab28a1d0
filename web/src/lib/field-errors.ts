import { ApiError } from '../api/client'

/** The create-task form fields a server refusal can concern. */
export type TaskField =
  | 'task_name'
  | 'conda_env'
  | 'script'
  | 'requirements'
  | 'command'
  | 'cron_expression'
  | 'delay_seconds'
  | 'priority'
  | 'timeout_seconds'
  | 'time_zone'
  | 'misfire'
  | 'task_type'
  | 'labels'
  | 'interactive'
  | 'max_retries'
  | 'retry_backoff_seconds'
  | 'retry_max_backoff_seconds'
  | 'node_version'

/**
 * Which field a server refusal concerns, from spec 000's messages (the bodies carry no field
 * name). null: it concerns the whole form.
 */
export function fieldOfError(error: unknown): TaskField | null {
  if (!(error instanceof ApiError)) return null
  const m = `${error.body.message ?? ''} ${error.body.error ?? ''}`.toLowerCase()
  // Before 'timeout' and 'delay': these messages name their field first.
  if (m.includes('retry_max_backoff_seconds')) return 'retry_max_backoff_seconds'
  if (m.includes('retry_backoff_seconds')) return 'retry_backoff_seconds'
  if (m.includes('max_retries')) return 'max_retries'
  if (Array.isArray(error.body.available_versions) || m.includes('node_version') || m.includes('node.js')) return 'node_version'
  if (m.includes('time zone') || m.includes('time_zone')) return 'time_zone'
  if (m.includes('timeout')) return 'timeout_seconds'
  if (m.includes('misfire')) return 'misfire'
  if (m.includes('task type') || m.includes('task_type')) return 'task_type'
  if (m.includes('label')) return 'labels'
  if (m.includes('interactive')) return 'interactive'
  if (m.includes('task name') || m.includes('task with name') || m.includes('task_name')) return 'task_name'
  if (m.includes('cron')) return 'cron_expression'
  if (m.includes('delay')) return 'delay_seconds'
  if (m.includes('priority')) return 'priority'
  if (m.includes('requirement') || m.includes('package')) return 'requirements'
  if (m.includes('environment') || m.includes('conda_env')) return 'conda_env'
  if (m.includes('command')) return 'command'
  if (m.includes('script') || m.includes('upload') || m.includes('zip') || m.includes('file')) return 'script'
  return null
}
