import type { Clock } from '../domain/clock.ts'
import type { Store } from '../store/store.ts'
import { closeRun } from './close-run.ts'

export const ABNORMAL_RESTART = 'Taskyard stopped while this run was active; the run was closed when it restarted'

/**
 * Worker ids written before node ids existed were `host:pid:random`, one per process. Only one
 * server could use a database then, and the caller holds the database's one-server lock now, so
 * such a run's server is gone: it is this node's to close.
 */
const LEGACY_WORKER_ID = /^[^:]+:\d+:[0-9a-f]{6}$/

/**
 * After a crash or kill -9, no run of this node stays 'running' forever: a run that had (or was
 * about to get) a process is closed as 'abnormal' with its log as it stands, and any process of
 * it still alive is ended, because no one supervises it now. Queued runs are kept and start as
 * usual. Runs claimed by another node (a worker id that is not ours) are never touched: on a
 * shared PostgreSQL they are that node's to supervise.
 * Returns the ids of the runs it closed.
 */
export async function recoverRuns(deps: {
  store: Store
  clock: Clock
  /** This node's stable worker id: the one its runs were claimed under before the restart. */
  workerId: string
  /** Ends what is left of the run's process group, if it is still that run's (pids are reused). */
  endOrphanedRun(pgid: number, runId: number): void
}): Promise<number[]> {
  const ours = (workerId: string | null): boolean => workerId === null || workerId === deps.workerId || LEGACY_WORKER_ID.test(workerId)
  const closed: number[] = []
  for (const run of await deps.store.runs.listActive()) {
    const hadProcess = run.status === 'running' || run.pid != null
    if (!hadProcess || !ours(run.workerId)) continue
    if (run.pid != null) deps.endOrphanedRun(run.pid, run.id)
    await closeRun(deps.store, run, { status: 'abnormal', endedAt: deps.clock.now(), error: ABNORMAL_RESTART })
    closed.push(run.id)
  }
  return closed
}
