import { admitsSecondRun } from '../domain/concurrency.ts'
import { assertCanApply } from '../domain/task-actions.ts'
import type { Task } from '../domain/task.ts'
import type { StoreTables } from '../store/store.ts'
import { recordAudit, type Actor } from './auth/record-audit.ts'
import { assertTaskPermission } from './auth/task-permission.ts'
import type { ServiceDeps } from './deps.ts'
import { findTaskOrThrow, lockTaskOrThrow } from './find-task.ts'

/**
 * The frame of trigger, stop, pause and resume: the permission, then one transaction that reads
 * the task (`lock`: held to the end, for the actions that queue a run), checks the transition and
 * writes the audit entry first, so a refused entry leaves everything as it was, a process's
 * signal included; `change` does the rest inside the same transaction.
 */
export async function inTaskAction<T>(
  deps: ServiceDeps,
  actor: Actor,
  action: 'trigger' | 'stop' | 'pause' | 'resume',
  taskId: number,
  read: 'find' | 'lock',
  change: (tx: StoreTables, task: Task) => Promise<T>,
  /** Recorded with the audit entry, e.g. the reason given. */
  auditDetails: Record<string, unknown> | null = null,
): Promise<T> {
  await assertTaskPermission(deps, actor.user, action, taskId)
  return deps.store.transaction(async (tx) => {
    const task = read === 'lock' ? await lockTaskOrThrow(tx, taskId) : await findTaskOrThrow(tx, taskId)
    // Issue 8: a running task may be triggered again when its concurrency policy admits a second run.
    if (!(action === 'trigger' && task.status === 'running' && admitsSecondRun(task.concurrency))) assertCanApply(action, task.status)
    await recordAudit(tx, deps.clock, actor, `task.${action}`, { type: 'task', id: taskId }, auditDetails)
    return change(tx, task)
  })
}
