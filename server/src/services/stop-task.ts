import type { Actor } from './auth/record-audit.ts'
import type { ServiceDeps } from './deps.ts'
import { inTaskAction } from './task-action.ts'
import type { TaskTransition } from './trigger-task.ts'

/**
 * spec 000 stop: takes the task off the schedule and ends its run's whole process group.
 * Resolves once the process is gone, so a following delete or trigger sees a quiet task. The
 * audit entry is stored with the task's new status, before the process is signalled.
 */
export async function stopTask(deps: ServiceDeps, actor: Actor, taskId: number, reason: string | null = null): Promise<TaskTransition> {
  const { result, activeRunIds } = await inTaskAction(
    deps,
    actor,
    'stop',
    taskId,
    'find',
    async (tx, task) => {
      const updated = await tx.tasks.update(taskId, { status: 'stopped', nextRunAt: null, updatedAt: deps.clock.now() })
      const given = { stopReason: reason, stoppedBy: actor.user?.username ?? null }
      const supervised: number[] = []
      // Every live run: a queue / allow task may have several (issue 8).
      for (const active of await tx.runs.listActiveForTask(taskId)) {
        // A run that never got a process ends here; one with a process ends when the process does.
        if (!deps.runControl.isSupervising(active.id)) {
          await tx.runs.update(active.id, { status: 'cancelled', endedAt: deps.clock.now(), ...given })
        } else {
          await tx.runs.update(active.id, given)
          supervised.push(active.id)
        }
      }
      return { result: { task: updated!, previousStatus: task.status }, activeRunIds: supervised }
    },
    reason === null ? null : { reason },
  )
  await Promise.all(activeRunIds.map((id) => deps.runControl.stop(id)))
  deps.wakeScheduler()
  deps.bus.emit('task:changed', { taskId })
  return { ...result, task: (await deps.store.tasks.findById(taskId)) ?? result.task }
}
