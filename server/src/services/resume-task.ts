import { initialNextRunAt } from '../domain/schedule.ts'
import { assertCanApply } from '../domain/task-actions.ts'
import type { TaskPatch } from '../domain/task.ts'
import type { ServiceDeps } from './deps.ts'
import { findTaskOrThrow } from './find-task.ts'
import type { TaskTransition } from './trigger-task.ts'

/**
 * spec 000 resume: a suspended process continues (SIGCONT) and the task is 'running' again; a
 * paused cron task goes back on its schedule from now; a paused delayed task keeps its time (and
 * fires at once if that passed); a paused one-off task with nothing pending runs now.
 */
export async function resumeTask(deps: ServiceDeps, taskId: number): Promise<TaskTransition> {
  const result = await deps.store.transaction(async (tx) => {
    const task = await findTaskOrThrow(tx, taskId)
    assertCanApply('resume', task.status)
    const now = deps.clock.now()
    const active = await tx.runs.findActiveForTask(taskId)
    let patch: TaskPatch
    if (active) {
      const live = deps.runs.resume(active.id)
      await tx.runs.update(active.id, { status: live ? 'running' : 'queued' })
      patch = { status: 'running' }
    } else if (task.cronExpression) {
      patch = { status: 'scheduled', nextRunAt: initialNextRunAt(task, now, deps.settings.timeZone) }
    } else if (task.nextRunAt != null) {
      patch = { status: 'scheduled' }
    } else {
      await tx.runs.insert({ taskId, priority: task.priority, trigger: 'resume', queuedAt: now })
      patch = { status: 'running' }
    }
    const updated = await tx.tasks.update(taskId, { ...patch, updatedAt: now })
    return { task: updated!, previousStatus: task.status }
  })
  deps.runs.wake()
  deps.wakeScheduler()
  deps.bus.emit('task:changed', { taskId })
  return result
}
