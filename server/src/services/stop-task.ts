import { assertCanApply } from '../domain/task-actions.ts'
import type { ServiceDeps } from './deps.ts'
import { findTaskOrThrow } from './find-task.ts'
import type { TaskTransition } from './trigger-task.ts'

/**
 * spec 000 stop: takes the task off the schedule and ends its run's whole process group.
 * Resolves once the process is gone, so a following delete or trigger sees a quiet task.
 */
export async function stopTask(deps: ServiceDeps, taskId: number): Promise<TaskTransition> {
  const { result, activeRunId } = await deps.store.transaction(async (tx) => {
    const task = await findTaskOrThrow(tx, taskId)
    assertCanApply('stop', task.status)
    const updated = await tx.tasks.update(taskId, { status: 'stopped', nextRunAt: null, updatedAt: deps.clock.now() })
    const active = await tx.runs.findActiveForTask(taskId)
    // A run that never got a process ends here; one with a process ends when the process does.
    if (active && !deps.runControl.isSupervising(active.id)) {
      await tx.runs.update(active.id, { status: 'cancelled', endedAt: deps.clock.now() })
    }
    return { result: { task: updated!, previousStatus: task.status }, activeRunId: active?.id ?? null }
  })
  if (activeRunId != null) await deps.runControl.stop(activeRunId)
  deps.wakeScheduler()
  deps.bus.emit('task:changed', { taskId })
  return { ...result, task: (await deps.store.tasks.findById(taskId)) ?? result.task }
}
