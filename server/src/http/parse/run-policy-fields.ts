/** run_as, memory_limit_mb, max_log_mb (issue 6), timeout_seconds and the retry policy (issue 8) of create and PUT, as typed values. */
import { TaskyardError } from '../../domain/errors.ts'
import { parseConcurrency } from '../../domain/concurrency.ts'
import { parseMaxLogMb, parseMemoryLimitMb, parseTimeoutSeconds } from '../../domain/run-limits.ts'
import {
  DEFAULT_RETRY_BACKOFF_SECONDS,
  DEFAULT_RETRY_MAX_BACKOFF_SECONDS,
  parseMaxRetries,
  parseRetryBackoffSeconds,
  parseRetryMaxBackoffSeconds,
} from '../../domain/retry-policy.ts'
import type { TaskRunPolicy } from '../../domain/task.ts'
import { parseBoolean } from './form-fields.ts'

export interface RunPolicyFields {
  run_as?: unknown
  memory_limit_mb?: unknown
  max_log_mb?: unknown
  timeout_seconds?: unknown
  interactive?: unknown
  node_version?: unknown
  max_retries?: unknown
  retry_backoff_seconds?: unknown
  retry_max_backoff_seconds?: unknown
  /** Issue 8: forbid | queue | allow | replace. */
  concurrency?: unknown
}

/** Absent (undefined) leaves a field as it is; null or '' clears it (PUT); anything else is parsed. */
const clears = (v: unknown): boolean => v === null || (typeof v === 'string' && v.trim() === '')

/** Who may set run_as and whether its account exists is the service's (services/check-run-policy.ts). */
export function parseRunPolicyFields(input: RunPolicyFields, serverMaxLogBytes: number): TaskRunPolicy {
  const out: TaskRunPolicy = {}
  if (input.run_as !== undefined) {
    if (clears(input.run_as)) out.runAs = null
    else if (typeof input.run_as === 'string') out.runAs = input.run_as.trim()
    else throw new TaskyardError('invalid_input', 'Invalid request', { error: 'run_as must be a user name or uid:gid' })
  }
  if (input.memory_limit_mb !== undefined) out.memoryLimitMb = clears(input.memory_limit_mb) ? null : parseMemoryLimitMb(input.memory_limit_mb)
  if (input.max_log_mb !== undefined) out.maxLogMb = clears(input.max_log_mb) ? null : parseMaxLogMb(input.max_log_mb, serverMaxLogBytes)
  if (input.timeout_seconds !== undefined) out.timeoutSeconds = clears(input.timeout_seconds) ? null : parseTimeoutSeconds(input.timeout_seconds)
  if (input.interactive !== undefined) {
    if (typeof input.interactive === 'boolean') out.interactive = input.interactive
    else if (typeof input.interactive === 'string') out.interactive = parseBoolean('interactive', input.interactive)
    else throw new TaskyardError('invalid_input', 'Invalid request', { error: 'interactive must be true or false' })
  }
  if (input.node_version !== undefined) {
    if (clears(input.node_version)) out.nodeVersion = null
    else if (typeof input.node_version === 'string' && /^v?\d{1,3}$/.test(input.node_version.trim()))
      out.nodeVersion = input.node_version.trim().replace(/^v/, '')
    else {
      throw new TaskyardError('invalid_input', 'Invalid request', {
        error: `node_version must be a Node.js major version such as 20, got ${JSON.stringify(input.node_version).slice(0, 40)}`,
      })
    }
  }
  // Issue 8's retry policy: null or '' puts a field back to its default (0 retries, 10 s, 3600 s).
  if (input.max_retries !== undefined) out.maxRetries = clears(input.max_retries) ? 0 : parseMaxRetries(input.max_retries)
  if (input.retry_backoff_seconds !== undefined) {
    out.retryBackoffSeconds = clears(input.retry_backoff_seconds) ? DEFAULT_RETRY_BACKOFF_SECONDS : parseRetryBackoffSeconds(input.retry_backoff_seconds)
  }
  if (input.retry_max_backoff_seconds !== undefined) {
    out.retryMaxBackoffSeconds = clears(input.retry_max_backoff_seconds)
      ? DEFAULT_RETRY_MAX_BACKOFF_SECONDS
      : parseRetryMaxBackoffSeconds(input.retry_max_backoff_seconds)
  }
  if (input.concurrency !== undefined) out.concurrency = parseConcurrency(input.concurrency)
  return out
}
