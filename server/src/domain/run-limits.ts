/**
 * A task's run policy fields (issue 6): memory limit, log cap and the account its runs get.
 * Pure: parsing and the rules; resolving an account and enforcing limits happen elsewhere.
 */
import { TaskyardError } from './errors.ts'

/** The largest memory_limit_mb accepted: 1 TiB. */
export const MAX_MEMORY_LIMIT_MB = 1024 * 1024
export const MIB = 1024 * 1024

/** A positive whole number of MiB up to `max`; `field` names it in the refusal. */
export function parseMegabytes(field: string, value: unknown, max: number, why = ''): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN
  if (Number.isInteger(n) && n >= 1 && n <= max) return n
  throw new TaskyardError('invalid_input', 'Invalid request', {
    error: `${field} must be a whole number of MiB from 1 to ${max}${why}, got ${JSON.stringify(value)}`,
  })
}

export function parseMemoryLimitMb(value: unknown): number {
  return parseMegabytes('memory_limit_mb', value, MAX_MEMORY_LIMIT_MB)
}

/** max_log_mb may lower the server's cap, never raise it: that cap protects the server's disk. */
export function parseMaxLogMb(value: unknown, serverMaxLogBytes: number): number {
  const max = Math.max(1, Math.floor(serverMaxLogBytes / MIB))
  return parseMegabytes('max_log_mb', value, max, ' (TASKYARD_MAX_LOG_BYTES)')
}

/** The log cap of a task's runs in bytes: its own when set, never above the server's. */
export function effectiveMaxLogBytes(taskMaxLogMb: number | null, serverMaxLogBytes: number): number {
  return taskMaxLogMb == null ? serverMaxLogBytes : Math.min(taskMaxLogMb * MIB, serverMaxLogBytes)
}

/** The longest timeout_seconds accepted: one year. */
export const MAX_TIMEOUT_SECONDS = 365 * 24 * 60 * 60

/** A positive whole number of seconds up to a year. */
export function parseTimeoutSeconds(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN
  if (Number.isInteger(n) && n >= 1 && n <= MAX_TIMEOUT_SECONDS) return n
  throw new TaskyardError('invalid_input', 'Invalid request', {
    error: `timeout_seconds must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}, got ${JSON.stringify(value)}`,
  })
}
