import { admitsSecondRun, isQueueFull, queueFull, takesLock } from '../domain/concurrency.ts'
import type { NewRun, Run } from '../domain/run.ts'
import type { Task } from '../domain/task.ts'
import type { StoreTables } from '../store/store.ts'
import type { RunControl } from './run-control.ts'

/** What queueRunByPolicy did: the new run, and the replaced runs whose processes must be stopped after the commit. */
export interface PolicyAdmission {
  run: Run
  toStop: number[]
}

export interface PolicyContext {
  now: number
  /** Who caused it (a username), recorded as the replaced runs' `stopped_by`; null for the scheduler. */
  by: string | null
  /** Whether this node supervises a run's process (absent: every running run is treated as supervised). */
  isSupervising?: (runId: number) => boolean
}

/**
 * Issue 8: queues a new run of `task` under its concurrency policy, inside the caller's
 * transaction, which holds the task's row lock (`tasks.lockById`). With no live run, it is queued.
 * With one: `forbid` refuses (undefined; the caller answers spec 000's 400 or records the skip);
 * `queue` and `allow` queue it beside (the claim starts a `queue` run only once the task is idle);
 * `queue` and `allow` are refused (409 `queue_full`) once the task has MAX_LIVE_RUNS_PER_TASK live runs;
 * `replace` releases the live runs' lock, queues the new run holding it, and ends the old ones —
 * at once when no process is supervised for them, else by the caller after the commit (`toStop`),
 * with a stop reason naming the new run. The unique index runs_task_lock holds the rule even
 * when a caller forgot the row lock.
 */
export async function queueRunByPolicy(
  tx: StoreTables,
  task: Task,
  newRun: Omit<NewRun, 'holdsLock'>,
  ctx: PolicyContext,
  /** The task's live runs, when the caller read them already under the same lock (a trigger). */
  liveRuns?: Run[],
): Promise<PolicyAdmission | undefined> {
  const live = liveRuns ?? (await tx.runs.listActiveForTask(task.id))
  if (live.length > 0 && !admitsSecondRun(task.concurrency)) return undefined
  if (isQueueFull(task.concurrency, live.length)) throw queueFull(task.id, task.concurrency, live.length)
  const replaced = task.concurrency === 'replace' ? live : []
  for (const old of replaced) await tx.runs.releaseLock(old.id)
  const run = await tx.runs.insert({ ...newRun, holdsLock: takesLock(task.concurrency) })
  const toStop: number[] = []
  for (const old of replaced) {
    const given = { stopReason: `Replaced by run ${run.id}`, stoppedBy: ctx.by }
    const here = ctx.isSupervising?.(old.id) ?? true
    // A run never claimed ends here, as stop ends it: by compare-and-set on the status read, so
    // a claim that got there first wins and the run is then stopped as a running one.
    const neverClaimed = old.workerId == null && !(here && old.status !== 'queued')
    if (neverClaimed && (await tx.runs.updateIfStatus(old.id, old.status, { status: 'cancelled', endedAt: ctx.now, ...given }))) continue
    await tx.runs.update(old.id, given)
    const fresh = await tx.runs.findById(old.id)
    // This node's run ends when its process does; another server's is asked to end it there
    // (issue 8: control from any server), and the new run waits behind it until it has.
    if (here || fresh?.workerId == null) toStop.push(old.id)
    else await tx.runs.requestAction(old.id, 'stop', ['running', 'paused'])
  }
  return { run, toStop }
}

/** Stops the replaced runs' processes after the commit; resolves once each is gone (stop-task's wait). */
export async function stopReplaced(runControl: Partial<Pick<RunControl, 'stop'>>, runIds: readonly number[]): Promise<void> {
  await Promise.all(runIds.map((id) => runControl.stop?.(id)))
}
