import type { Task, TaskPatch } from '../domain/task.ts'
import { nextCronTime } from '../lib/cron.ts'

export interface DueDecision {
  /** Queue a run now. False when the task still has a live run: the same task never runs twice at once. */
  startRun: boolean
  patch: TaskPatch
}

/**
 * What to do with a scheduled task whose time has come. Pure: the loop in scheduler.ts owns the
 * timer and the I/O. A cron task's next time is computed from now, so a server that was down
 * fires a missed schedule once, not once per missed slot.
 */
export function planDueRun(task: Pick<Task, 'cronExpression'>, hasActiveRun: boolean, now: number, timeZone?: string): DueDecision {
  const nextRunAt = task.cronExpression ? nextCronTime(task.cronExpression, now, timeZone) : null
  if (hasActiveRun) return { startRun: false, patch: { nextRunAt } }
  return { startRun: true, patch: { nextRunAt, status: 'running' } }
}
