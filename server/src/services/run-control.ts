/**
 * What services may ask of the worker about runs' processes: the run-control contract. The
 * worker (worker/dispatcher.ts) implements it; services decide what the database says, the
 * worker only acts on processes. Services import this file, never worker/.
 */
import type { StoreTables } from '../store/store.ts'

/** A run claimed inside a caller's transaction (claimWithin), to start once that transaction has committed. */
export interface ClaimedInTransaction {
  runId: number
  /** Call after the commit, never before: starts the run's process (or gives the run back at shutdown). */
  start(): void
}

export interface RunControl {
  /** Looks for queued runs to start; cheap. Call it after every commit that queues a run. */
  wake(): void
  /**
   * Issue 10: claims the most urgent queued run for this node inside the caller's transaction,
   * when a slot is free, as the worker's own claim would (limit, priority, policies), so the run
   * it queued starts without another transaction. Null when nothing could be claimed or the node
   * is shutting down. The caller calls `start()` after its commit, and wake() unless the claimed
   * run is the one it queued (another queued run may then wait). Absent: the caller only wakes.
   */
  claimWithin?(tx: StoreTables): Promise<ClaimedInTransaction | null>
  /** Suspends the run's processes; false when this node has no live process for the run. */
  pause(runId: number): boolean
  /** Continues the run's processes; false when this node has no live process for the run. */
  resume(runId: number): boolean
  /** Ends the run's processes; resolves once its end is persisted. A no-op when this node does not supervise it. */
  stop(runId: number): Promise<void>
  /**
   * Writes text to the run's stdin; false when this node has no live process for the run or its
   * stdin was closed (nothing is written then).
   */
  input(runId: number, text: string): boolean
  /** Ends the run's stdin (end-of-file after what was written); false as for input. */
  closeInput(runId: number): boolean
  /** True while this node supervises the run (claimed it and has not yet written its end). */
  isSupervising(runId: number): boolean
}
