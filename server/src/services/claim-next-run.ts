import { effectiveMaxWorkers } from '../domain/queue-settings.ts'
import type { Run } from '../domain/run.ts'
import type { Store } from '../store/store.ts'

/**
 * Claims the most urgent queued run for `workerId` if a worker slot is free, in one transaction:
 * the queue's settings row is locked first, so the count of busy runs (running or paused, on every
 * server of the database) and the claim are one step no other claimer can interleave with. Two
 * servers on one PostgreSQL therefore never run more than max_workers together. `configured` is
 * this server's TASKYARD_MAX_WORKERS, in force while no admin has set one (null = no limit).
 */
export async function claimNextRun(store: Store, workerId: string, now: number, configured: number | null): Promise<Run | undefined> {
  return store.transaction(async (tx) => {
    const limit = effectiveMaxWorkers(await tx.queueSettings.lock(), configured)
    if (limit != null && (await tx.runs.countBusy()) >= limit) return undefined
    return tx.runs.claimNext(workerId, now)
  })
}
