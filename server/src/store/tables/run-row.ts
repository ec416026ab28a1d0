/**
 * A runs row as its domain Run, field by field. Issue 10: the history pages map 1,000 rows a
 * request, and the generic mapping (a rest spread to drop holds_lock, a spread for the boolean,
 * then fromRow's Object.entries and name lookups) was 45 % of such a request's CPU. An object
 * literal of the Run type also makes a column added to Run without a mapping here a type error.
 */
import type { Run, RunBrief, RunPatch } from '../../domain/run.ts'

/** Every field a run's patch may write (toRow's allow-list): all of a Run but its id and task. */
export const RUN_PATCH_FIELDS: Record<keyof RunPatch, true> = {
  status: true,
  priority: true,
  trigger: true,
  queuedAt: true,
  startedAt: true,
  endedAt: true,
  exitCode: true,
  signal: true,
  pid: true,
  workerId: true,
  peakRssBytes: true,
  avgRssBytes: true,
  error: true,
  outputTruncated: true,
  pauseReason: true,
  pausedBy: true,
  resumeReason: true,
  resumedBy: true,
  stopReason: true,
  stoppedBy: true,
  attempt: true,
  firstRunId: true,
  notBefore: true,
  retryOf: true,
  requestedAction: true,
}

/** The columns of a runs row that a Run is made of (holds_lock, the store's own, is ignored). */
export interface RunColumns {
  id: number
  task_id: number
  status: Run['status']
  priority: number
  trigger: Run['trigger']
  queued_at: number
  started_at: number | null
  ended_at: number | null
  exit_code: number | null
  signal: string | null
  pid: number | null
  worker_id: string | null
  peak_rss_bytes: number | null
  avg_rss_bytes: number | null
  error: string | null
  /** boolean on PostgreSQL, 0 or 1 on SQLite. */
  output_truncated: boolean | number
  pause_reason: string | null
  paused_by: string | null
  resume_reason: string | null
  resumed_by: string | null
  stop_reason: string | null
  stopped_by: string | null
  attempt: number
  first_run_id: number | null
  not_before: number | null
  retry_of: number | null
  requested_action: Run['requestedAction']
}

export function runFromRow(row: RunColumns): Run {
  return {
    id: row.id,
    taskId: row.task_id,
    status: row.status,
    priority: row.priority,
    trigger: row.trigger,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    exitCode: row.exit_code,
    signal: row.signal,
    pid: row.pid,
    workerId: row.worker_id,
    peakRssBytes: row.peak_rss_bytes,
    avgRssBytes: row.avg_rss_bytes,
    error: row.error,
    outputTruncated: row.output_truncated === true || row.output_truncated === 1,
    pauseReason: row.pause_reason,
    pausedBy: row.paused_by,
    resumeReason: row.resume_reason,
    resumedBy: row.resumed_by,
    stopReason: row.stop_reason,
    stoppedBy: row.stopped_by,
    attempt: row.attempt,
    firstRunId: row.first_run_id,
    notBefore: row.not_before,
    retryOf: row.retry_of,
    requestedAction: row.requested_action,
  }
}

/** The columns of a RunBrief, in the order selected. */
export const BRIEF_COLUMNS = [
  'id',
  'task_id',
  'status',
  'started_at',
  'ended_at',
  'exit_code',
  'signal',
  'error',
  'output_truncated',
  'peak_rss_bytes',
  'avg_rss_bytes',
] as const satisfies readonly (keyof RunColumns)[]

export function briefFromRow(row: Pick<RunColumns, (typeof BRIEF_COLUMNS)[number]>): RunBrief {
  return {
    id: row.id,
    taskId: row.task_id,
    status: row.status,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    exitCode: row.exit_code,
    signal: row.signal,
    error: row.error,
    outputTruncated: row.output_truncated === true || row.output_truncated === 1,
    peakRssBytes: row.peak_rss_bytes,
    avgRssBytes: row.avg_rss_bytes,
  }
}
