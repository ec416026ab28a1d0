import { isActive } from '../domain/run.ts'
import type { Actor } from './auth/record-audit.ts'
import type { ServiceDeps } from './deps.ts'
import { inTaskAction } from './task-action.ts'
import type { TaskTransition } from './trigger-task.ts'

/**
 * spec 000 stop: takes the task off the schedule and ends its run's whole process group.
 * Resolves once the process is gone when this node supervises it, so a following delete or
 * trigger sees a quiet task. A run another server supervises is asked to stop (issue 8: the
 * request is recorded on the run, that server applies it); the answer says so (`requested`).
 * The audit entry is stored with the task's new status, before the process is signalled.
 */
export async function stopTask(deps: ServiceDeps, actor: Actor, taskId: number, reason: string | null = null): Promise<TaskTransition> {
  const { result, localRunIds } = await inTaskAction(
    deps,
    actor,
    'stop',
    taskId,
    'find',
    async (tx, task) => {
      const now = deps.clock.now()
      const updated = await tx.tasks.update(taskId, { status: 'stopped', nextRunAt: null, updatedAt: now })
      const given = { stopReason: reason, stoppedBy: actor.user?.username ?? null }
      const localRunIds: number[] = []
      let requested = false
      // Every live run: a queue / allow task may have several (issue 8).
      for (const active of await tx.runs.listActiveForTask(taskId)) {
        // A run never claimed (queued, or paused while queued) ends here, by compare-and-set on the
        // status read: a claim that got there first wins, and the run is then stopped as a running one.
        const endedHere =
          active.workerId == null &&
          !deps.runControl.isSupervising(active.id) &&
          (await tx.runs.updateIfStatus(active.id, active.status, { status: 'cancelled', endedAt: now, ...given })) != null
        if (endedHere) continue
        const fresh = await tx.runs.findById(active.id)
        if (!fresh || !isActive(fresh.status)) continue
        await tx.runs.update(fresh.id, given)
        // This node's run ends when its process does; another server's is asked to end it.
        if (deps.runControl.isSupervising(fresh.id) || fresh.workerId == null) localRunIds.push(fresh.id)
        else if ((await tx.runs.requestAction(fresh.id, 'stop', ['running', 'paused'])) != null) requested = true
      }
      return { result: { task: updated!, previousStatus: task.status, ...(requested ? { requested: true as const } : {}) }, localRunIds }
    },
    reason === null ? null : { reason },
  )
  await Promise.all(localRunIds.map((id) => deps.runControl.stop(id)))
  if (result.requested) deps.runControl.wake()
  deps.wakeScheduler()
  deps.bus.emit('task:changed', { taskId })
  return { ...result, task: (await deps.store.tasks.findById(taskId)) ?? result.task }
}
