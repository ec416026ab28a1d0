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
