import type { Run, RunPatch, RunStatus } from '../domain/run.ts'
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
 */
export async function closeRun(store: Store, run: Pick<Run, 'id' | 'taskId' | 'startedAt'>, end: RunEnd): Promise<void> {
  await store.transaction((tx) => closeRunIn(tx, run, end))
}

/** closeRun inside the caller's transaction (a cancel that must decide and close in one step). */
export async function closeRunIn(tx: StoreTables, run: Pick<Run, 'id' | 'taskId' | 'startedAt'>, end: RunEnd): Promise<void> {
  // The task's row first (issue 8): the lock order is task row, then runs, as in a trigger that
  // replaces this run under the task's lock; run first then task deadlocked on PostgreSQL.
  const task = await tx.tasks.lockById(run.taskId)
  const current = await tx.runs.findById(run.id)
  const startedAt = current?.startedAt ?? run.startedAt ?? end.endedAt
  await tx.runs.update(run.id, end)
  if (!task) return
  // Issue 8: under queue / allow / replace another run of the task may still be live: it keeps the task running.
  const othersLive = task.status === 'running' && (await tx.runs.findActiveForTask(task.id)) !== undefined
  await tx.tasks.update(task.id, {
    status: othersLive ? 'running' : taskStatusAfterRun(task, end.status),
    lastRunAt: startedAt,
    lastRunDurationMs: end.endedAt - startedAt,
    lastRunId: run.id,
  })
}
