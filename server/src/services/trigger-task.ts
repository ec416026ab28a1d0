import { refusal } from '../domain/task-actions.ts'
import type { Task, TaskStatus } from '../domain/task.ts'
import type { Actor } from './auth/record-audit.ts'
import type { ServiceDeps } from './deps.ts'
import { inTaskAction } from './task-action.ts'
import { assertAdmits } from './queue/admit-run.ts'
import { queueRunByPolicy, stopReplaced } from './queue-run-by-policy.ts'

/** A task after an action, with the status it had before. */
export interface TaskTransition {
  task: Task
  previousStatus: TaskStatus
  /** Issue 8: the run is supervised by another server; the action was recorded for it to apply. */
  requested?: true
}

/**
 * Queues an immediate run. spec 000: a cron task keeps its schedule; the task shows 'running'.
 * The same task never runs twice at once (spec 004) under the default policy `forbid`: a task with
 * a live run is refused; `queue`, `allow` and `replace` queue a second run (issue 8). The
 * task row is locked first, so parallel triggers (PostgreSQL) take turns and all but one see
 * the live run. The run and the audit entry are one transaction.
 */
export async function triggerTask(deps: ServiceDeps, actor: Actor, taskId: number): Promise<TaskTransition> {
  const { toStop, ...result } = await inTaskAction(deps, actor, 'trigger', taskId, 'lock', async (tx, task) => {
    // forbid (spec 004's lock) refuses while a run is live; queue / allow / replace queue one (issue 8).
    const live = await tx.runs.listActiveForTask(taskId)
    if (live.length > 0 && task.concurrency === 'forbid') throw refusal('trigger', task.status)
    // replace ends the live runs it replaces: their slots are the new run's (when_busy refuse).
    const freeing = task.concurrency === 'replace' ? live.length : 0
    await assertAdmits(tx, deps.settings.maxWorkers, freeing)
    const now = deps.clock.now()
    const ctx = { now, by: actor.user?.username ?? null, isSupervising: (id: number) => deps.runControl.isSupervising(id) }
    const admitted = await queueRunByPolicy(tx, task, { taskId, priority: task.priority, trigger: 'manual', queuedAt: now }, ctx, live)
    if (!admitted) throw refusal('trigger', task.status)
    const updated = await tx.tasks.update(taskId, { status: 'running' })
    // Issue 10: with a slot free the run is claimed here, so it starts right after the commit.
    const claim = (await deps.runControl.claimWithin?.(tx)) ?? null
    return { task: updated!, previousStatus: task.status, toStop: admitted.toStop, claim, queuedRunId: admitted.run.id }
  })
  const { claim, queuedRunId, ...transition } = result
  claim?.start()
  // replace: the old run's process ends before the answer, as a stop's does; the new run starts after it.
  await stopReplaced(deps.runControl, toStop)
  if (claim?.runId !== queuedRunId) deps.runControl.wake()
  deps.bus.emit('task:changed', { taskId })
  return transition
}
