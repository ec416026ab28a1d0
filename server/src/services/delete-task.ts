import { assertCanApply } from '../domain/task-actions.ts'
import { recordAudit, type Actor } from './auth/record-audit.ts'
import { assertTaskPermission } from './auth/task-permission.ts'
import type { ServiceDeps } from './deps.ts'
import { findTaskOrThrow } from './find-task.ts'

/**
 * spec 000 delete: removes the task, its runs, their logs and result files and its files for good. A running task
 * is refused; a paused one's suspended process is ended first so nothing of it survives. The
 * rows go with the audit entry in one transaction; the files only after it committed.
 */
export async function deleteTask(deps: ServiceDeps, actor: Actor, taskId: number): Promise<void> {
  await assertTaskPermission(deps, actor.user, 'delete', taskId)
  const task = await findTaskOrThrow(deps.store, taskId)
  assertCanApply('delete', task.status)
  const active = await deps.store.runs.findActiveForTask(taskId)
  if (active) await deps.runControl.stop(active.id)
  const runIds = await deps.store.transaction(async (tx) => {
    const current = await findTaskOrThrow(tx, taskId)
    assertCanApply('delete', current.status)
    const runs = await tx.runs.listForTask(taskId, Number.MAX_SAFE_INTEGER)
    await tx.tasks.delete(taskId)
    await recordAudit(tx, deps.clock, actor, 'task.delete', { type: 'task', id: taskId })
    return runs.map((r) => r.id)
  })
  // After commit: files of a task that still exists are never removed.
  await deps.files.remove(taskId)
  await Promise.all(runIds.map((id) => deps.logs.remove(id)))
  await deps.artifacts.removeTask(taskId)
  deps.wakeScheduler()
  deps.bus.emit('task:changed', { taskId })
  deps.bus.emit('task:run-as', { taskId, runAs: undefined })
}
