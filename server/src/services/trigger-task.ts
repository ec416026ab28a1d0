import { refusal } from '../domain/task-actions.ts'
import type { Task, TaskStatus } from '../domain/task.ts'
import type { Actor } from './auth/record-audit.ts'
import type { ServiceDeps } from './deps.ts'
import { inTaskAction } from './task-action.ts'
import { assertAdmits } from './queue/admit-run.ts'

/** A task after an action, with the status it had before. */
export interface TaskTransition {
  task: Task
  previousStatus: TaskStatus
  /** Issue 8: the run is supervised by another server; the action was recorded for it to apply. */
  requested?: true
}

/**
 * Queues an immediate run. spec 000: a cron task keeps its schedule; the task shows 'running'.
 * The same task never runs twice at once (spec 004): a task with a live run is refused. The
 * task row is locked first, so parallel triggers (PostgreSQL) take turns and all but one see
 * the live run. The run and the audit entry are one transaction.
 */
export async function triggerTask(deps: ServiceDeps, actor: Actor, taskId: number): Promise<TaskTransition> {
  const result = await inTaskAction(deps, actor, 'trigger', taskId, 'lock', async (tx, task) => {
    if (await tx.runs.findActiveForTask(taskId)) throw refusal('trigger', task.status)
    await assertAdmits(tx, deps.settings.maxWorkers)
    const now = deps.clock.now()
    await tx.runs.insert({ taskId, priority: task.priority, trigger: 'manual', queuedAt: now })
    const updated = await tx.tasks.update(taskId, { status: 'running' })
    return { task: updated!, previousStatus: task.status }
  })
  deps.runControl.wake()
  deps.bus.emit('task:changed', { taskId })
  return result
}
