import type { Task, TaskPatch } from '../domain/task.ts'
import { nextCronTime } from '../lib/cron.ts'

/** What to do with one task whose time has come. */
export interface DuePlan {
  taskId: number
  /** Queue a run now. False when the task still has a live run: the same task never runs twice at once (spec 004). */
  startRun: boolean
  patch: TaskPatch
}

export type SchedulableTask = Pick<Task, 'id' | 'status' | 'cronExpression' | 'nextRunAt'>

/**
 * Which of `tasks` fire at `now`, and what each one's row becomes. Pure: the loop in scheduler.ts
 * owns the timer, the transaction and the clock reading.
 * - Only a 'scheduled' task whose next time is not after `now` fires; anything else gets no
 *   plan. So a clock that was set back fires nothing early and no slot twice: the task waits for
 *   the time it was given.
 * - A cron task's next time is the first slot after `now`, not after the slot that fired: a
 *   server that was down (or a tick that came late) fires the missed slots once, not once each.
 * - A task in `activeTaskIds` (a run queued, running or paused) gets no second run; its
 *   schedule moves on to the next slot, and its status is left to that run's end.
 * - A one-off (delayed) task has no next time after it fired.
 */
export function planDueRuns(tasks: readonly SchedulableTask[], activeTaskIds: ReadonlySet<number>, now: number, timeZone?: string): DuePlan[] {
  const plans: DuePlan[] = []
  for (const task of tasks) {
    if (task.status !== 'scheduled' || task.nextRunAt == null || task.nextRunAt > now) continue
    const nextRunAt = task.cronExpression ? nextCronTime(task.cronExpression, now, timeZone) : null
    if (activeTaskIds.has(task.id)) plans.push({ taskId: task.id, startRun: false, patch: { nextRunAt } })
    else plans.push({ taskId: task.id, startRun: true, patch: { nextRunAt, status: 'running' } })
  }
  return plans
}
