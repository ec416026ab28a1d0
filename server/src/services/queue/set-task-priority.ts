import { parsePriority } from '../../domain/priority.ts'
import type { Task } from '../../domain/task.ts'
import { recordAudit, type Actor } from '../auth/record-audit.ts'
import { assertTaskPermission } from '../auth/task-permission.ts'
import type { ServiceDeps } from '../deps.ts'
import { lockTaskOrThrow } from '../find-task.ts'

export interface PriorityChange {
  task: Task
  previousPriority: number
  /** Queued runs of the task that moved in the queue with it. */
  queuedRuns: number
}

/**
 * spec 002 priority: the task's priority (0–11 or high/normal/low) and that of its queued runs,
 * in one transaction with its audit entry; a running run keeps its slot. 404, then 403, then 400.
 */
export async function setTaskPriority(
  deps: Pick<ServiceDeps, 'store' | 'clock' | 'bus'>,
  actor: Actor,
  taskId: number,
  value: unknown,
): Promise<PriorityChange> {
  await assertTaskPermission(deps, actor.user, 'update', taskId)
  const priority = parsePriority(value)
  const change = await deps.store.transaction(async (tx) => {
    const task = await lockTaskOrThrow(tx, taskId)
    const updated = await tx.tasks.update(taskId, { priority, updatedAt: deps.clock.now() })
    const queuedRuns = await tx.runs.setQueuedPriority(taskId, priority)
    await recordAudit(tx, deps.clock, actor, 'task.priority', { type: 'task', id: taskId }, { from: task.priority, to: priority, queued_runs: queuedRuns })
    return { task: updated!, previousPriority: task.priority, queuedRuns }
  })
  deps.bus.emit('task:changed', { taskId })
  return change
}
