/** run_as, memory_limit_mb, max_log_mb (issue 6) and timeout_seconds (issue 8) of create and PUT, as typed values. */
import { TaskyardError } from '../../domain/errors.ts'
import { parseConcurrency } from '../../domain/concurrency.ts'
import { parseMaxLogMb, parseMemoryLimitMb, parseTimeoutSeconds } from '../../domain/run-limits.ts'
import type { TaskRunPolicy } from '../../domain/task.ts'
import { parseBoolean } from './form-fields.ts'

export interface RunPolicyFields {
  run_as?: unknown
  memory_limit_mb?: unknown
  max_log_mb?: unknown
  timeout_seconds?: unknown
  interactive?: unknown
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
  if (input.concurrency !== undefined) out.concurrency = parseConcurrency(input.concurrency)
  return out
}
