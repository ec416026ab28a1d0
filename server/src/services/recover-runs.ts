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
  /**
   * Ends what is left of the run's process group, if it is still that run's (pids are reused), on
   * the machine it ran on: a run of a task on a registered server is ended there, over SSH, and
   * waits for the next connection if the server cannot be reached now. Awaited only for as long as
   * it takes to pick the executor, never for the kill. `pgid` is null for a run that died before its
   * pid was stored: its processes are then found by their markers alone.
   */
  endOrphanedRun(pgid: number | null, runId: number, taskId: number): void | Promise<void>
}): Promise<number[]> {
  const ours = (workerId: string | null): boolean => workerId === null || workerId === deps.workerId || LEGACY_WORKER_ID.test(workerId)
  const closed: number[] = []
  for (const run of await deps.store.runs.listActive()) {
    const hadProcess = run.status === 'running' || run.pid != null
    if (!hadProcess || !ours(run.workerId)) continue
    await deps.endOrphanedRun(run.pid ?? null, run.id, run.taskId)
    await closeRun(deps.store, run, { status: 'abnormal', endedAt: deps.clock.now(), error: ABNORMAL_RESTART })
    closed.push(run.id)
  }
  return closed
}
