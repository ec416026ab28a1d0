/** A run is one execution of a task. */
export const RUN_STATUSES = ['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'abnormal', 'timeout'] as const
export type RunStatus = (typeof RUN_STATUSES)[number]

/** Runs in these states hold the task's lock: the same task never runs twice at once (spec 004). */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'paused']
export const FINISHED_RUN_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled', 'abnormal', 'timeout']

/** Why a run was queued. */
export type RunTrigger = 'create' | 'manual' | 'schedule' | 'resume' | 'retry'

export interface Run {
  id: number
  taskId: number
  status: RunStatus
  priority: number
  trigger: RunTrigger
  queuedAt: number
  startedAt: number | null
  endedAt: number | null
  exitCode: number | null
  /** Signal name when the process was ended by one, e.g. 'SIGKILL'. */
  signal: string | null
  pid: number | null
  workerId: string | null
  peakRssBytes: number | null
  avgRssBytes: number | null
  /** Why the run ended abnormally or failed to start; null otherwise. */
  error: string | null
  /** True when output past the run's log size cap was dropped (behind a marker line). */
  outputTruncated: boolean
  /** spec 003: the reason given with the last pause / resume / stop, and the username who gave it. */
  pauseReason: string | null
  pausedBy: string | null
  resumeReason: string | null
  resumedBy: string | null
  stopReason: string | null
  stoppedBy: string | null
  /** 1 for a first run; a retry is the next attempt of the chain that starts at firstRunId. */
  attempt: number
  firstRunId: number | null
  /** Issue 8: a queued run is not claimed before this instant (a retry's backoff); null = at once. */
  notBefore: number | null
  /** The failed run this one automatically retries (max_retries); null for every other run. */
  retryOf: number | null
  /** What a server that does not supervise the run asked of the one that does; null = nothing pending. */
  requestedAction: RunRequest | null
}

/** Actions a server may ask of the server supervising a run (issue 8: control from any server). */
export const RUN_REQUESTS = ['stop', 'pause', 'resume'] as const
export type RunRequest = (typeof RUN_REQUESTS)[number]

export type NewRun = Pick<Run, 'taskId' | 'priority' | 'trigger' | 'queuedAt'> &
  Partial<Pick<Run, 'attempt' | 'firstRunId' | 'notBefore' | 'retryOf'>> & {
    /**
     * Issue 8: the run takes its task's lock (the store's unique index: one lock-holding live run
     * per task). Left out: the task's concurrency policy decides, in the insert itself.
     */
    holdsLock?: boolean
  }
export type RunPatch = Partial<Omit<Run, 'id' | 'taskId'>>

export function isActive(status: RunStatus): boolean {
  return ACTIVE_RUN_STATUSES.includes(status)
}

/** A run with the name of its task, for history listings. */
export interface RunWithTaskName extends Run {
  taskName: string
}

/**
 * Issue 10: what a list of runs shows (spec 000's execution and history items), read without the
 * control, retry and reason columns: the pages of 1,000 runs fetch and map a third of the values.
 */
export type RunBrief = Pick<
  Run,
  'id' | 'taskId' | 'status' | 'startedAt' | 'endedAt' | 'exitCode' | 'signal' | 'error' | 'outputTruncated' | 'peakRssBytes' | 'avgRssBytes'
>

export interface RunBriefWithTaskName extends RunBrief {
  taskName: string
}

export interface DurationStats {
  /** Runs that have both a start and an end. */
  count: number
  avgMs: number | null
  minMs: number | null
  maxMs: number | null
}

/** The longest pause / resume / stop reason kept; longer is refused, not cut. */
export const MAX_REASON_LENGTH = 1000

/** Issue 8: only a run that went wrong may be retried; a completed or cancelled one is refused. */
export const RETRYABLE_RUN_STATUSES: readonly RunStatus[] = ['failed', 'timeout', 'abnormal']
