import { TaskyardError } from '../domain/errors.ts'
import { RETRYABLE_RUN_STATUSES, type Run } from '../domain/run.ts'
import { assertCanApply, refusal } from '../domain/task-actions.ts'
import type { Task } from '../domain/task.ts'
import type { StoreTables } from '../store/store.ts'
import { recordAudit, type Actor } from './auth/record-audit.ts'
import { assertTaskPermission } from './auth/task-permission.ts'
import type { ServiceDeps } from './deps.ts'
import { lockTaskOrThrow } from './find-task.ts'
import { runNotFound } from './get-run.ts'

export interface RetryResult {
  /** The run that was retried. */
  retried: Run
  /** The new run: the next attempt of the same chain. */
  run: Run
}

/** The batch route's bound: one request retries at most this many runs. */
export const MAX_RETRY_BATCH = 100

function notRetryable(run: Run): TaskyardError {
  return new TaskyardError('invalid_transition', 'Execution cannot be retried', {
    error: `Only a failed, timeout or abnormal execution can be retried; execution ${run.id} is '${run.status}'`,
    current_status: run.status,
  })
}

/**
 * Queues the next attempt of `old`, inside the transaction that holds the task's row: the same
 * rules as a trigger (spec 000's task states, one live run per task), then a run linked to the
 * first of its chain with the next attempt number, and the audit entry.
 */
async function queueRetry(deps: ServiceDeps, actor: Actor, tx: StoreTables, task: Task, old: Run): Promise<RetryResult> {
  if (!RETRYABLE_RUN_STATUSES.includes(old.status)) throw notRetryable(old)
  assertCanApply('trigger', task.status)
  if (await tx.runs.findActiveForTask(task.id)) throw refusal('trigger', task.status)
  const run = await tx.runs.insert({
    taskId: task.id,
    priority: task.priority,
    trigger: 'retry',
    queuedAt: deps.clock.now(),
    attempt: old.attempt + 1,
    firstRunId: old.firstRunId ?? old.id,
  })
  await tx.tasks.update(task.id, { status: 'running' })
  await recordAudit(tx, deps.clock, actor, 'run.retry', { type: 'run', id: old.id }, { task_id: task.id, new_execution_id: run.id })
  return { retried: old, run }
}

function started(deps: ServiceDeps, taskId: number): void {
  deps.runControl.wake()
  deps.bus.emit('task:changed', { taskId })
}

/** POST /api/executions/<id>/retry. Anyone who may trigger the task may retry its runs. */
export async function retryRun(deps: ServiceDeps, actor: Actor, runId: number): Promise<RetryResult> {
  const found = Number.isSafeInteger(runId) ? await deps.store.runs.findById(runId) : undefined
  if (!found) throw runNotFound(runId)
  await assertTaskPermission(deps, actor.user, 'trigger', found.taskId)
  const result = await deps.store.transaction(async (tx) => {
    const task = await lockTaskOrThrow(tx, found.taskId)
    // Read again under the task's lock: a retry that just won the race sees the other's run.
    const old = await tx.runs.findById(runId)
    if (!old) throw runNotFound(runId)
    return queueRetry(deps, actor, tx, task, old)
  })
  started(deps, found.taskId)
  return result
}

/** POST /api/tasks/<id>/retry: retries the task's latest run. */
export async function retryTask(deps: ServiceDeps, actor: Actor, taskId: number): Promise<RetryResult> {
  await assertTaskPermission(deps, actor.user, 'trigger', taskId)
  const result = await deps.store.transaction(async (tx) => {
    const task = await lockTaskOrThrow(tx, taskId)
    const latest = (await tx.runs.listForTask(taskId, 1))[0]
    if (!latest) {
      throw new TaskyardError('invalid_transition', 'Execution cannot be retried', {
        error: `Task ${taskId} has no execution to retry`,
        current_status: task.status,
      })
    }
    return queueRetry(deps, actor, tx, task, latest)
  })
  started(deps, taskId)
  return result
}

export type BatchRetryItem = { runId: number; ok: true; result: RetryResult } | { runId: number; ok: false; error: TaskyardError }

/** POST /api/executions/retry: each run on its own (one refusal does not undo the others), in the order given. */
export async function retryRuns(deps: ServiceDeps, actor: Actor, runIds: readonly number[]): Promise<BatchRetryItem[]> {
  const items: BatchRetryItem[] = []
  for (const runId of runIds) {
    try {
      items.push({ runId, ok: true, result: await retryRun(deps, actor, runId) })
    } catch (error) {
      // Only a refusal is reported per item; anything else (the database away) fails the request.
      if (!(error instanceof TaskyardError) || error.code === 'database_busy') throw error
      items.push({ runId, ok: false, error })
    }
  }
  return items
}
