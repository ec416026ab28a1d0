import { cronError, nextCronTime } from '../lib/cron.ts'
import { TaskyardError } from './errors.ts'

/** When a task should next start, from its own settings. `now` is the moment of decision. */
export function initialNextRunAt(
  input: { cronExpression: string | null; delaySeconds: number | null },
  now: number,
  timeZone?: string,
): number | null {
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

/** spec 000 create: delay must be a non-negative number of seconds. */
export function parseDelaySeconds(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
  if (!Number.isFinite(n) || n < 0) {
    throw new TaskyardError('invalid_delay', 'Please provide a non-negative delay value', {
      error: 'Delay seconds must be non-negative',
    })
  }
  return n
}
