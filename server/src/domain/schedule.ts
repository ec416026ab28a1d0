import { cronError, nextCronTime } from '../lib/cron.ts'
import { canonicalTimeZone } from '../lib/time-zone.ts'
import { TaskyardError } from './errors.ts'
import { MISFIRE_POLICIES, type MisfirePolicy } from './task.ts'

/**
 * The longest delay a task may be given: 10 years. Past it a date overflows what both dialects
 * store (PostgreSQL's integer column) or what formats as a date at all (1e30 s).
 */
export const MAX_DELAY_SECONDS = 315_360_000

/** When a task should next start, from its own settings. `now` is the moment of decision. */
export function initialNextRunAt(input: { cronExpression: string | null; delaySeconds: number | null }, now: number, timeZone?: string): number | null {
  if (input.cronExpression) return nextCronTime(input.cronExpression, now, timeZone)
  if (input.delaySeconds != null) return now + input.delaySeconds * 1000
  return null
}

/** spec 000 create: refuses a bad cron expression with its reason. */
export function assertValidCron(expression: string): void {
  const reason = cronError(expression)
  if (reason) {
    throw new TaskyardError('invalid_cron', 'The provided cron expression is invalid', {
      error: `Invalid cron expression: ${reason}`,
    })
  }
}

/**
 * Why `value` is not a usable delay, or null. Whole seconds from 0 to MAX_DELAY_SECONDS, as a
 * JSON integer or a decimal string of digits: the same on both dialects (the column is an
 * integer). `negative` marks the case spec 000 words as "must be non-negative".
 */
export function delayError(value: unknown): { negative: boolean; error: string } | null {
  const shown = typeof value === 'string' ? `'${value}'` : JSON.stringify(value)
  let n: number
  if (typeof value === 'number') n = value
  else if (typeof value === 'string' && /^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/.test(value)) n = Number(value)
  else return { negative: false, error: `Delay seconds must be a whole number of seconds, got ${shown}` }
  if (Number.isNaN(n)) return { negative: false, error: `Delay seconds must be a whole number of seconds, got ${shown}` }
  if (n < 0) return { negative: true, error: 'Delay seconds must be non-negative' }
  if (!Number.isInteger(n)) return { negative: false, error: `Delay seconds must be a whole number of seconds, got ${shown}` }
  if (n > MAX_DELAY_SECONDS) return { negative: false, error: `Delay seconds must be at most ${MAX_DELAY_SECONDS} (10 years), got ${shown}` }
  return null
}

/** spec 000 create: a delay is a whole, non-negative number of seconds up to MAX_DELAY_SECONDS. */
export function parseDelaySeconds(value: unknown): number {
  const problem = delayError(value)
  if (problem?.negative) {
    throw new TaskyardError('invalid_delay', 'Please provide a non-negative delay value', { error: problem.error })
  }
  if (problem) throw new TaskyardError('invalid_delay', 'Please provide a valid delay value', { error: problem.error })
  return Number(value)
}

/** A task's `time_zone` (issue 8): an IANA name, stored in its canonical spelling; null or '' = the server's. */
export function parseTimeZone(value: unknown): string | null {
  if (value === null || value === '') return null
  if (typeof value !== 'string') throw invalidTimeZone(`time_zone must be a string, got ${JSON.stringify(value)}`)
  const zone = canonicalTimeZone(value.trim())
  if (zone instanceof Error) throw invalidTimeZone(`Invalid time_zone: ${zone.message}`)
  return zone
}

function invalidTimeZone(error: string): TaskyardError {
  return new TaskyardError('invalid_time_zone', 'Invalid time zone', { error })
}

/** A task's `misfire` policy (issue 8). */
export function parseMisfire(value: unknown): MisfirePolicy {
  if (typeof value === 'string' && (MISFIRE_POLICIES as readonly string[]).includes(value.trim())) return value.trim() as MisfirePolicy
  throw new TaskyardError('invalid_misfire', 'Invalid misfire policy', {
    error: `misfire must be one of ${MISFIRE_POLICIES.map((p) => `'${p}'`).join(', ')}, got ${JSON.stringify(value)}`,
  })
}
