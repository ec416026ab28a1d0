/**
 * A task is the definition: files, command, environment, schedule.
 * Status words are spec 000's.
 */
export const TASK_STATUSES = ['scheduled', 'running', 'paused', 'stopped', 'completed', 'failed'] as const
export type TaskStatus = (typeof TASK_STATUSES)[number]

/** How the task's files arrived: one script file, or a ZIP extracted into the task directory. */
export type TaskSource = 'file' | 'zip'

export interface Task {
  id: number
  name: string
  source: TaskSource
  /** File name of the script inside the task directory ('' for a ZIP: the directory itself). */
  scriptFile: string
  command: string
  condaEnv: string
  requirements: string | null
  cronExpression: string | null
  delaySeconds: number | null
  /** 0–11, lower runs first (spec 002). */
  priority: number
  status: TaskStatus
  createdAt: number
  updatedAt: number
  /** When the scheduler next starts a run; null when nothing is planned. */
  nextRunAt: number | null
  lastRunAt: number | null
  lastRunDurationMs: number | null
  lastRunId: number | null
  ownerId: number | null
  /** The OS account its runs get instead of the server's default (user name or uid:gid); admins set it. */
  runAs: string | null
  /** Memory limit of each run, MiB; null = none. */
  memoryLimitMb: number | null
  /** Log size cap of each run, MiB (at most the server's TASKYARD_MAX_LOG_BYTES); null = the server's. */
  maxLogMb: number | null
  /** What kind of work it is ('file_scan'…), for cancel-by-type and filters; null = none (issue 8). */
  taskType: string | null
  /** Free labels for filtering, in the order given. */
  labels: string[]
  /** IANA time zone its cron expression is read in; null = the server's (TASKYARD_TIME_ZONE). */
  timeZone: string | null
  /** What a cron task does with a time the scheduler saw too late (the server was down). */
  misfire: MisfirePolicy
  /** False: the schedule is switched off (PUT /api/schedules); the task keeps its cron expression. */
  scheduleEnabled: boolean
  /** spec 003's schedule `description`. */
  scheduleDescription: string | null
  /** Runs the schedule has queued (spec 003 `execution_count`). */
  scheduleRuns: number
  /** The scheduled time of the schedule's last run (spec 003 `last_execution_at`). */
  lastScheduledAt: number | null
  /** Each run is ended as 'timeout' after this many seconds of running (paused time not counted); null = no limit. */
  timeoutSeconds: number | null
  /** Issue 8: its runs get a pipe on stdin (POST /api/executions/<id>/input); otherwise stdin is at end-of-file. */
  interactive: boolean
  /** Issue 9: the Node.js major version (`20`) its runs' node, npm and npx are; null = whatever PATH gives. */
  nodeVersion: string | null
  /** Issue 8: a run that ends failed, timeout or abnormal is retried automatically up to this many times (0 = never). */
  maxRetries: number
  /** The first retry waits this long after the failure; each next one twice the last (domain/retry-policy.ts). */
  retryBackoffSeconds: number
  /** No retry waits longer than this. */
  retryMaxBackoffSeconds: number
  /** Issue 8: what a run due while the previous one is live does (domain/concurrency.ts); default 'forbid'. */
  concurrency: ConcurrencyPolicy
}

/**
 * Per-task concurrency policy (issue 8). `forbid` (spec 004's lock, the default): a run due while
 * one is live is refused or skipped; `queue`: it waits until the previous one ends; `allow`: it
 * runs beside it; `replace`: the live one is stopped and the new one starts once it is gone.
 */
export const CONCURRENCY_POLICIES = ['forbid', 'queue', 'allow', 'replace'] as const
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number]

/**
 * Misfire policy (issue 8). A scheduled time is missed when the scheduler first sees it more than
 * MISFIRE_GRACE_MS late (domain/schedule-slot.ts). `run_once`: one run now for the latest missed
 * time; `skip`: none, and the task waits for its next time. Either way every other missed time is
 * recorded as skipped: never a burst.
 */
export const MISFIRE_POLICIES = ['run_once', 'skip'] as const
export type MisfirePolicy = (typeof MISFIRE_POLICIES)[number]

/** The run policy fields (issue 6) may be left out: they default to null. */
/** Fields a new task may leave out: they take their defaults (the schedule fields of issue 8 too). */
type DefaultedTaskField =
  'runAs' | 'memoryLimitMb' | 'maxLogMb' | 'timeoutSeconds' | 'interactive' | 'nodeVersion' | 'concurrency' | 'taskType' | 'labels' | ScheduleField | RetryField
type RetryField = 'maxRetries' | 'retryBackoffSeconds' | 'retryMaxBackoffSeconds'
type ScheduleField = 'timeZone' | 'misfire' | 'scheduleEnabled' | 'scheduleDescription' | 'scheduleRuns' | 'lastScheduledAt'
export type NewTask = Omit<Task, 'id' | 'lastRunAt' | 'lastRunDurationMs' | 'lastRunId' | DefaultedTaskField> & Partial<Pick<Task, DefaultedTaskField>>
export type TaskPatch = Partial<Omit<Task, 'id' | 'createdAt'>>

/** A task's run policy as a create or PUT gives it: a field left out stays as it is, null clears it. */
export type TaskRunPolicy = Partial<
  Pick<Task, 'runAs' | 'memoryLimitMb' | 'maxLogMb' | 'timeoutSeconds' | 'interactive' | 'nodeVersion' | 'concurrency' | RetryField>
>

/** A task's schedule settings as a create or PUT gives them: a field left out stays as it is. */
export type TaskSchedulePolicy = Partial<Pick<Task, 'timeZone' | 'misfire'>>
