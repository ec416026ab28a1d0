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
}

export type NewTask = Omit<Task, 'id' | 'lastRunAt' | 'lastRunDurationMs' | 'lastRunId'>
export type TaskPatch = Partial<Omit<Task, 'id' | 'createdAt'>>
