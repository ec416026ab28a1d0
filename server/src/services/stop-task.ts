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
  const { result, activeRunId } = await inTaskAction(
    deps,
    actor,
    'stop',
    taskId,
    'find',
    async (tx, task) => {
      const updated = await tx.tasks.update(taskId, { status: 'stopped', nextRunAt: null, updatedAt: deps.clock.now() })
      const active = await tx.runs.findActiveForTask(taskId)
      const given = { stopReason: reason, stoppedBy: actor.user?.username ?? null }
      // A run that never got a process ends here; one with a process ends when the process does.
      if (active && !deps.runControl.isSupervising(active.id)) {
        await tx.runs.update(active.id, { status: 'cancelled', endedAt: deps.clock.now(), ...given })
      } else if (active) {
        await tx.runs.update(active.id, given)
      }
      return { result: { task: updated!, previousStatus: task.status }, activeRunId: active?.id ?? null }
    },
    reason === null ? null : { reason },
  )
  if (activeRunId != null) await deps.runControl.stop(activeRunId)
  deps.wakeScheduler()
  deps.bus.emit('task:changed', { taskId })
  return { ...result, task: (await deps.store.tasks.findById(taskId)) ?? result.task }
}
