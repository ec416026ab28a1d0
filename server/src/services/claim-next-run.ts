import { effectiveMaxWorkers } from '../domain/queue-settings.ts'
import type { Run } from '../domain/run.ts'
import type { Task } from '../domain/task.ts'
import type { Store, StoreTables } from '../store/store.ts'

/**
 * Claims the most urgent queued run for `workerId` if a worker slot is free, in one transaction:
 * the queue's settings row is locked first, so the count of busy runs (running or paused, on every
 * server of the database) and the claim are one step no other claimer can interleave with. Two
 * servers on one PostgreSQL therefore never run more than max_workers together. `configured` is
 * this server's TASKYARD_MAX_WORKERS, in force while no admin has set one (null = no limit).
 */
export async function claimNextRun(store: Store, workerId: string, now: number, configured: number | null): Promise<Run | undefined> {
  return (await claimRunToStart(store, workerId, now, configured)).claimed?.run
}

/** What the worker needs to start a claimed run, and whether another claim could succeed now. */
export interface ClaimToStart {
  claimed: { run: Run; task: Task; serverId: number | null } | null
  /**
   * The limit was reached: with this claim, or before it (then nothing was claimed). Another claim
   * can only succeed once a busy run ends, which wakes the worker (its own runs) or its poll.
   */
  full: boolean
}

/**
 * claimNextRun, with the claimed run's task and server read in the same transaction (issue 10:
 * the worker starts it without another round trip), and whether the limit is now reached, so the
 * worker does not open a transaction only to find every slot taken.
 */
export async function claimRunToStart(store: Store, workerId: string, now: number, configured: number | null): Promise<ClaimToStart> {
  return store.transaction((tx) => claimRunToStartIn(tx, workerId, now, configured))
}

/**
 * claimRunToStart inside the caller's transaction (issue 10: a trigger or create that queued a run
 * claims it in its own transaction when a slot is free, one transaction and its round trips fewer
 * before the process starts). The caller's transaction must not have locked the queue's settings
 * row after a run row (the lock order of every claim: settings row, then runs).
 */
export async function claimRunToStartIn(tx: StoreTables, workerId: string, now: number, configured: number | null): Promise<ClaimToStart> {
  const limit = effectiveMaxWorkers(await tx.queueSettings.lock(), configured)
  const busy = limit == null ? 0 : await tx.runs.countBusy()
  if (limit != null && busy >= limit) return { claimed: null, full: true }
  const run = await tx.runs.claimNext(workerId, now)
  if (!run) return { claimed: null, full: false }
  // The task cannot be gone: its row is the run's foreign key, and the claim holds the write.
  const found = await tx.tasks.findForRun(run.taskId)
  if (!found) throw new Error(`task ${run.taskId} of run ${run.id} does not exist`)
  return { claimed: { run, ...found }, full: limit != null && busy + 1 >= limit }
}
