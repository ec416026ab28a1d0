import { Cron } from 'croner'

/** Returns null when `expression` is a valid 5- or 6-field cron expression, else the parser's reason. */
export function cronError(expression: string): string | null {
  const fields = expression.trim().split(/\s+/)
  if (fields.length !== 5 && fields.length !== 6) {
    return `expected 5 fields (minute hour day month weekday) or 6 with seconds first, got ${fields.length}`
  }
  try {
    new Cron(expression, { paused: true })
    return null
  } catch (e) {
    return e instanceof Error ? e.message : String(e)
  }
}

/** The first fire time strictly after `afterMs`, in time zone `timeZone` (IANA name; undefined = the process's). */
export function nextCronTime(expression: string, afterMs: number, timeZone?: string): number | null {
  const cron = new Cron(expression, { paused: true, ...(timeZone ? { timezone: timeZone } : {}) })
  const next = cron.nextRun(new Date(afterMs))
  return next ? next.getTime() : null
}
