/** Per-task concurrency policy (issue 8): parsing, and what each policy means for a new run. */
import { TaskyardError } from './errors.ts'
import { CONCURRENCY_POLICIES, type ConcurrencyPolicy, type TaskStatus } from './task.ts'

/** A task's `concurrency`, as a create or PUT gives it. */
export function parseConcurrency(value: unknown): ConcurrencyPolicy {
  if (typeof value === 'string' && (CONCURRENCY_POLICIES as readonly string[]).includes(value.trim())) return value.trim() as ConcurrencyPolicy
  throw new TaskyardError('invalid_input', 'Invalid concurrency policy', {
    error: `concurrency must be one of ${CONCURRENCY_POLICIES.map((p) => `'${p}'`).join(', ')}, got ${JSON.stringify(value)}`,
  })
}

/**
 * Runs of `forbid` and `replace` tasks take the task's lock: the store's unique index holds at most
 * one such live run per task. `queue` and `allow` runs do not (a task may have several live runs).
 */
export function takesLock(policy: ConcurrencyPolicy): boolean {
  return policy === 'forbid' || policy === 'replace'
}

/**
 * The most live runs (queued, running or paused) one `queue` or `allow` task may have. Without a
 * bound, a frequent cron over a long run queues without end (a per-second schedule: 86,400 runs
 * a day): past it, a trigger is refused (409 `queue_full`) and a scheduled time is skipped
 * (`queue_full`), as `forbid` skips one while its run is live. `replace` never piles up.
 */
export const MAX_LIVE_RUNS_PER_TASK = 100

/** Whether a task with `liveRuns` live runs has no room for one more under its policy. */
export function isQueueFull(policy: ConcurrencyPolicy, liveRuns: number): boolean {
  return (policy === 'queue' || policy === 'allow') && liveRuns >= MAX_LIVE_RUNS_PER_TASK
}

/** The refusal of a run a task has no room for (isQueueFull). */
export function queueFull(taskId: number, policy: ConcurrencyPolicy, liveRuns: number): TaskyardError {
  return new TaskyardError('queue_full', 'Task has too many live runs', {
    error: `Task ${taskId} already has ${liveRuns} live runs (concurrency '${policy}' allows at most ${MAX_LIVE_RUNS_PER_TASK}): wait for some to end or cancel them`,
    max_live_runs: MAX_LIVE_RUNS_PER_TASK,
  })
}

/** A run due while another run of the task is live is refused (trigger) or skipped (schedule) only under `forbid`. */
export function admitsSecondRun(policy: ConcurrencyPolicy): boolean {
  return policy !== 'forbid'
}

/**
 * The status a task is shown with (issue 8). spec 000 has no `queued` task status, and a task whose
 * live runs are all queued (waiting for a worker slot, its environment, or its previous run under
 * `queue`) is not running: it is shown `scheduled` (spec 000: scheduled, not executing yet), with
 * its queue position beside. Every other status is the stored one, which the actions still read.
 */
export function visibleTaskStatus(status: TaskStatus, live: { queued: number; busy: number } | undefined): TaskStatus {
  return status === 'running' && live !== undefined && live.busy === 0 && live.queued > 0 ? 'scheduled' : status
}
