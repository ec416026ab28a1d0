import { retryDelayMs, shouldRetry } from '../domain/retry-policy.ts'
import { isActive, RETRYABLE_RUN_STATUSES, type Run, type RunPatch, type RunStatus } from '../domain/run.ts'
import { taskStatusAfterRun } from '../domain/run-outcome.ts'
import type { Store, StoreTables } from '../store/store.ts'

/** How a run ended: its final status and when, plus whatever else is known of it (exit code, memory…). */
export interface RunEnd extends Omit<RunPatch, 'status' | 'endedAt'> {
  status: RunStatus
  endedAt: number
}

/**
 * Writes a run's end, in one transaction: the run's final fields, and its task's status after it
 * (domain/run-outcome.ts) with the last run's time, duration and id. The one place a run is
 * closed: the worker when a process ends, crash recovery for a run no one supervises any more.
 * The task's next fire time is left as it is: the scheduler plans it (scheduler/plan-due-runs.ts).
 * The duration is measured from the run's start as the database has it (the worker may have
 * written it since `run` was read), else `run.startedAt`, else it is zero.
 * Issue 8: a run that went wrong, of a task with retries left, gets its automatic retry in the
 * same transaction (domain/retry-policy.ts): queued, claimable from its backoff's end. Returns it,
 * or null. The caller wakes the worker after commit.
 */
export async function closeRun(store: Store, run: Pick<Run, 'id' | 'taskId' | 'startedAt'>, end: RunEnd): Promise<Run | null> {
  return store.transaction((tx) => closeRunIn(tx, run, end))
}

/** closeRun inside the caller's transaction (a cancel that must decide and close in one step). */
export async function closeRunIn(tx: StoreTables, run: Pick<Run, 'id' | 'taskId' | 'startedAt'>, end: RunEnd): Promise<Run | null> {
  // The task's row first (issue 8): the lock order is task row, then runs, as in a trigger that
  // replaces this run under the task's lock; run first then task deadlocked on PostgreSQL. Two
  // servers closing the same run (a supervisor and a crash recovery) take turns on it, and only
  // the first sees it still active. The unique runs.retry_of holds the one-retry rule too.
  const task = await tx.tasks.lockById(run.taskId)
  const current = await tx.runs.findById(run.id)
  // Closed already, by whoever held the lock first: this second close changes nothing (its
  // task's status after the first close, a pending retry among it, stays as it is).
  if (RETRYABLE_RUN_STATUSES.includes(end.status) && current && !isActive(current.status)) return null
  const startedAt = current?.startedAt ?? run.startedAt ?? end.endedAt
  await tx.runs.update(run.id, { ...end, requestedAction: null })
  if (!task) return null
  // Issue 8: under queue / allow / replace another run of the task may still be live: it keeps
  // the task running, and it is the next attempt at the work, so no retry is added beside it.
  const othersLive = (await tx.runs.findActiveForTask(task.id)) !== undefined
  let retry: Run | null = null
  if (current && isActive(current.status) && shouldRetry(task, current, end.status) && !othersLive) {
    retry = await tx.runs.insert({
      taskId: task.id,
      priority: task.priority,
      trigger: 'retry',
      queuedAt: end.endedAt,
      attempt: current.attempt + 1,
      firstRunId: current.firstRunId ?? current.id,
      notBefore: end.endedAt + retryDelayMs(task, current.attempt),
      retryOf: current.id,
    })
  }
  await tx.tasks.update(task.id, {
    // A pending retry keeps the task 'running', as a manual retry does (services/retry-run.ts).
    status: retry || (othersLive && task.status === 'running') ? 'running' : taskStatusAfterRun(task, end.status),
    lastRunAt: startedAt,
    lastRunDurationMs: end.endedAt - startedAt,
    lastRunId: run.id,
  })
  return retry
}
