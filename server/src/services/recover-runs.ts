import type { Clock } from '../domain/clock.ts'
import { taskStatusAfterRun } from '../domain/run-outcome.ts'
import type { Store } from '../store/store.ts'

export const ABNORMAL_RESTART = 'Taskyard stopped while this run was active; the run was closed when it restarted'

/**
 * After a crash or kill -9, no run stays 'running' forever: a run that had (or was about to get) a
 * process is closed as 'abnormal' with its log as it stands, and any process of it still alive is
 * ended, because no one supervises it now. Queued runs are kept and start as usual.
 * Returns the ids of the runs it closed.
 */
export async function recoverRuns(
  deps: {
    store: Store
    clock: Clock
    /** Ends what is left of the run's process group, if it is still that run's (pids are reused). */
    endOrphanedRun(pgid: number, runId: number): void
  },
): Promise<number[]> {
  const closed: number[] = []
  for (const run of await deps.store.runs.listActive()) {
    const hadProcess = run.status === 'running' || run.pid != null
    if (!hadProcess) continue
    if (run.pid != null) deps.endOrphanedRun(run.pid, run.id)
    const now = deps.clock.now()
    await deps.store.transaction(async (tx) => {
      await tx.runs.update(run.id, { status: 'abnormal', endedAt: now, error: ABNORMAL_RESTART })
      const task = await tx.tasks.findById(run.taskId)
      if (!task) return
      const startedAt = run.startedAt ?? now
      await tx.tasks.update(task.id, {
        status: taskStatusAfterRun(task, 'abnormal'),
        lastRunAt: startedAt,
        lastRunDurationMs: now - startedAt,
        lastRunId: run.id,
      })
    })
    closed.push(run.id)
  }
  return closed
}
