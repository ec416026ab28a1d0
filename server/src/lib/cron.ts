import { Cron } from 'croner'

/**
 * Returns null when `expression` is a valid 5- or 6-field cron expression that fires at least
 * once, else the reason. `0 0 30 2 *` parses but never fires: accepting it would leave a task
 * 'scheduled' with no next time for ever. croner gives up on such a search in about 0.1 s.
 */
export function cronError(expression: string): string | null {
  if (expression.trim() === '') return 'the expression is empty'
  const fields = expression.trim().split(/\s+/)
  if (fields.length !== 5 && fields.length !== 6) {
    return `expected 5 fields (minute hour day month weekday) or 6 with seconds first, got ${fields.length}`
  }
  let cron: Cron
  try {
    cron = new Cron(expression, { paused: true })
  } catch (e) {
    return e instanceof Error ? e.message : String(e)
  }
  if (cron.nextRun() === null) return `'${expression.trim()}' never fires (no date matches it, e.g. 30 February)`
  return null
}

/** The first fire time strictly after `afterMs`, in time zone `timeZone` (IANA name; undefined = the process's). */
export function nextCronTime(expression: string, afterMs: number, timeZone?: string): number | null {
  const cron = new Cron(expression, { paused: true, ...(timeZone ? { timezone: timeZone } : {}) })
  const next = cron.nextRun(new Date(afterMs))
  return next ? next.getTime() : null
}
