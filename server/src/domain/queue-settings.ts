/**
 * The queue's settings an admin changes at run time (GET/PUT /api/settings), kept in the
 * database so they survive a restart and every server on one database obeys the same ones.
 */
import { TaskyardError } from './errors.ts'

export interface QueueSettings {
  /** Runs executing at once (running or paused) across every server; null = the configured default. */
  maxWorkers: number | null
  /** 'queue': a submit beyond max_workers waits queued; 'refuse': it is refused (spec 003's single-task mode). */
  whenBusy: WhenBusy
  updatedAt: number | null
  updatedBy: number | null
}

export const WHEN_BUSY = ['queue', 'refuse'] as const
export type WhenBusy = (typeof WHEN_BUSY)[number]

export function parseWhenBusy(value: unknown): WhenBusy {
  if (typeof value === 'string' && (WHEN_BUSY as readonly string[]).includes(value)) return value as WhenBusy
  throw new TaskyardError('invalid_input', 'Invalid when_busy', { error: `when_busy must be 'queue' or 'refuse', got ${JSON.stringify(value)}` })
}

export const MIN_MAX_WORKERS = 1
export const MAX_MAX_WORKERS = 1024

/** The limit in force: the stored one, else the configured (TASKYARD_MAX_WORKERS); null = none. */
export function effectiveMaxWorkers(settings: Pick<QueueSettings, 'maxWorkers'>, configured: number | null): number | null {
  return settings.maxWorkers ?? configured
}

/** An integer 1–1024, or null for "back to the configured default". */
export function parseMaxWorkers(value: unknown): number | null {
  if (value === null) return null
  if (typeof value === 'number' && Number.isInteger(value) && value >= MIN_MAX_WORKERS && value <= MAX_MAX_WORKERS) return value
  throw new TaskyardError('invalid_input', 'Invalid max_workers', {
    error: `max_workers must be an integer from ${MIN_MAX_WORKERS} to ${MAX_MAX_WORKERS}, or null for the configured default; got ${JSON.stringify(value)}`,
  })
}
