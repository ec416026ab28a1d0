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
  /** Each run is ended as 'timeout' after this many seconds of running (paused time not counted); null = no limit. */
  timeoutSeconds: number | null
  /** Issue 8: its runs get a pipe on stdin (POST /api/executions/<id>/input); otherwise stdin is at end-of-file. */
  interactive: boolean
}

/** The run policy fields (issue 6) may be left out: they default to null. */
export type NewTask = Omit<
  Task,
  'id' | 'lastRunAt' | 'lastRunDurationMs' | 'lastRunId' | 'runAs' | 'memoryLimitMb' | 'maxLogMb' | 'timeoutSeconds' | 'interactive'
> &
  Partial<Pick<Task, 'runAs' | 'memoryLimitMb' | 'maxLogMb' | 'timeoutSeconds' | 'interactive'>>
export type TaskPatch = Partial<Omit<Task, 'id' | 'createdAt'>>

/** A task's run policy as a create or PUT gives it: a field left out stays as it is, null clears it. */
export type TaskRunPolicy = Partial<Pick<Task, 'runAs' | 'memoryLimitMb' | 'maxLogMb' | 'timeoutSeconds' | 'interactive'>>
