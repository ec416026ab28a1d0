/**
 * A scheduled time the scheduler decided about (issue 8): it fired (a run was queued for it), or
 * it was skipped, with the reason. One per (task, scheduled time): the store's key, so a time
 * never produces two runs, even across a crash or two schedulers on one database.
 */
export type SlotOutcome = 'fired' | 'skipped'

/**
 * Why a time went the way it did. Stable codes; the README explains each.
 * - `misfire_run_once`: fired late: the scheduler saw it more than MISFIRE_GRACE_MS after its time.
 * - `misfire_skip`: seen too late and the task's misfire policy is `skip`.
 * - `coalesced`: a later time was due too when the scheduler looked; only the latest one counts.
 * - `coalesced_many`: as coalesced, standing for every time after this one up to the one that
 *   counted (more than MAX_LISTED_SLOTS were missed; they are not listed one by one).
 * - `run_active`: the task's previous run was still queued or running (spec 004's lock).
 * - `queue_full`: a `queue` or `allow` task already had MAX_LIVE_RUNS_PER_TASK live runs.
 */
export type SlotReason = 'misfire_run_once' | 'misfire_skip' | 'coalesced' | 'coalesced_many' | 'run_active' | 'queue_full'

/** Why a task's due times get no run now: a live run under `forbid`, or no room under `queue` / `allow`. */
export type BlockedReason = Extract<SlotReason, 'run_active' | 'queue_full'>

export interface ScheduleSlot {
  taskId: number
  slotAt: number
  outcome: SlotOutcome
  reason: SlotReason | null
  runId: number | null
  /** When the scheduler decided. */
  recordedAt: number
}

/** A scheduled time seen this much after it is missed; earlier it simply runs (a late tick, a busy database). */
export const MISFIRE_GRACE_MS = 60_000

/** After downtime, at most this many missed times of one task are recorded one by one. */
export const MAX_LISTED_SLOTS = 1_000
