/**
 * The scheduler's loop: one timer, armed for the earliest next run of any scheduled task
 * (and at least once a minute, so a clock change or another node's edit is noticed).
 * Invariant: while not stopped, a timer is always armed, whatever a tick threw.
 */
import type { Clock } from '../domain/clock.ts'
import { admitsSecondRun, isQueueFull, takesLock } from '../domain/concurrency.ts'
import type { BlockedReason, ScheduleSlot } from '../domain/schedule-slot.ts'
import type { Task } from '../domain/task.ts'
import { queueRunByPolicy, stopReplaced } from '../services/queue-run-by-policy.ts'
import type { RunControl } from '../services/run-control.ts'
import type { Store, StoreTables } from '../store/store.ts'
import { planDueRuns } from './plan-due-runs.ts'

/** The timer functions the loop uses; tests pass fake ones moved with their fake clock. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/**
 * Node fires a timer longer than 2^31 - 1 ms (24.8 days) after 1 ms. The loop never sleeps past
 * MAX_SLEEP_MS anyway; the clamp keeps a longer delay from ever firing early.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1
export const clampTimerDelay = (ms: number): number => Math.min(Math.max(ms, 0), MAX_TIMER_MS)

export const realTimers: Timers = {
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, clampTimerDelay(ms))
    // The server's HTTP listener keeps the process alive; a schedule alone does not.
    handle.unref()
    return handle
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

export interface SchedulerDeps {
  store: Store
  clock: Clock
  /** The worker, woken after a commit that queued runs; `stop` and `isSupervising` end the runs a `replace` task's fire replaces (issue 8). */
  runControl: Pick<RunControl, 'wake'> & Partial<Pick<RunControl, 'stop' | 'isSupervising'>>
  timeZone: string | undefined
  onTaskChanged(taskId: number): void
  onError(error: unknown, context: string): void
  timers?: Timers
}

export interface Scheduler {
  /** Re-reads the schedules now; call after any commit that changes one. */
  wake(): void
  stop(): void
}

export const MAX_SLEEP_MS = 60_000
/** Due tasks fired per transaction: six statements each (bench "scheduler": 1,000 due on PostgreSQL, max 1,373 ms with 100, 854 ms with 250). */
const FIRE_BATCH = 250
/** After a failed tick (e.g. the database busy), retry soon, backing off up to MAX_SLEEP_MS. */
const FIRST_RETRY_MS = 1_000

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const timers = deps.timers ?? realTimers
  let timer: unknown = null
  let stopped = false
  let ticking = false
  let tickAgain = false
  let retryMs = FIRST_RETRY_MS

  async function tick(): Promise<void> {
    if (ticking) {
      tickAgain = true
      return
    }
    ticking = true
    try {
      // A wake during either step (a service committed a schedule meanwhile) goes round again:
      // arm() may have read the earliest time before that commit, and the wake would be lost.
      do {
        tickAgain = false
        await fireDue()
        await arm()
      } while (tickAgain)
      retryMs = FIRST_RETRY_MS
    } catch (error) {
      deps.onError(error, 'scheduler')
      // Whatever failed (listing, a transaction, arming), a timer must stay armed or cron stops.
      setTimer(retryMs)
      retryMs = Math.min(retryMs * 2, MAX_SLEEP_MS)
    } finally {
      ticking = false
    }
  }

  /**
   * Fires a batch of due tasks (ids ascending) inside `tx`, on their rows as they are now (locked,
   * in id order): a pause, stop or trigger committed since listDue wins. A few statements per
   * batch, not per task (bench "scheduler" on PostgreSQL): lock the rows, read their live runs,
   * record every slot, queue the runs, link the slots to them, update the tasks. True when a run
   * was queued.
   */
  async function fireBatch(tx: StoreTables, ids: readonly number[], now: number, toStop: number[]): Promise<boolean> {
    const tasks = await tx.tasks.lockByIds(ids)
    if (tasks.length === 0) return false
    // Issue 8: only `forbid` skips a time while a run is live; the other policies queue beside it,
    // up to MAX_LIVE_RUNS_PER_TASK live runs (then `queue_full`).
    const live = await tx.runs.listActiveForTasks(tasks.map((t) => t.id))
    const liveCount = (taskId: number): number => live.get(taskId)?.length ?? 0
    const hasLive = (taskId: number): boolean => liveCount(taskId) > 0
    const blocked = new Map<number, BlockedReason>()
    for (const t of tasks) {
      if (hasLive(t.id) && !admitsSecondRun(t.concurrency)) blocked.set(t.id, 'run_active')
      else if (isQueueFull(t.concurrency, liveCount(t.id))) blocked.set(t.id, 'queue_full')
    }
    const plans = planDueRuns(tasks, blocked, now, deps.timeZone)
    if (plans.length === 0) return false
    const taskOf = new Map(tasks.map((t) => [t.id, t]))
    // Every slot's record comes before any run: a run follows only a fresh one, so a time
    // recorded before (this process before a crash, another scheduler) never gets a second run.
    const slots: ScheduleSlot[] = plans.flatMap((plan) => [
      ...plan.skipped.map((s) => ({ taskId: plan.taskId, slotAt: s.slotAt, outcome: 'skipped' as const, reason: s.reason, runId: null, recordedAt: now })),
      ...(plan.fire
        ? [{ taskId: plan.taskId, slotAt: plan.fire.slotAt, outcome: 'fired' as const, reason: plan.fire.reason, runId: null, recordedAt: now }]
        : []),
    ])
    const recorded = slots.length > 0 ? await tx.scheduleSlots.record(slots) : []
    const claimed = new Set(recorded.filter((s) => s.outcome === 'fired').map((s) => s.taskId))
    const firing = plans.filter((plan) => plan.fire && claimed.has(plan.taskId))
    const newRun = (task: Task) => ({ taskId: task.id, priority: task.priority, trigger: 'schedule' as const, queuedAt: now })
    // A `replace` task with a live run goes through the policy (release, queue, end the old runs);
    // every other fired task is queued in one insert, taking its task's lock as its policy says.
    const replacing = firing.filter((plan) => taskOf.get(plan.taskId)!.concurrency === 'replace' && hasLive(plan.taskId))
    const plain = firing.filter((plan) => !replacing.includes(plan))
    const runIdOf = new Map<number, number>()
    const runs = await tx.runs.insertMany(
      plain.map((plan) => {
        const task = taskOf.get(plan.taskId)!
        return { ...newRun(task), holdsLock: takesLock(task.concurrency) }
      }),
    )
    runs.forEach((run) => runIdOf.set(run.taskId, run.id))
    const isSupervising = deps.runControl.isSupervising?.bind(deps.runControl)
    for (const plan of replacing) {
      const task = taskOf.get(plan.taskId)!
      const admitted = await queueRunByPolicy(tx, task, newRun(task), { now, by: null, ...(isSupervising ? { isSupervising } : {}) })
      // `replace` admits a second run: never undefined here.
      if (!admitted) throw new Error(`Task ${task.id}: its run was refused by its concurrency policy`)
      toStop.push(...admitted.toStop)
      runIdOf.set(task.id, admitted.run.id)
    }
    await tx.scheduleSlots.setRuns(firing.map((plan) => ({ taskId: plan.taskId, slotAt: plan.fire!.slotAt, runId: runIdOf.get(plan.taskId)! })))
    // The rows are locked: the counts cannot be raced.
    await tx.tasks.recordSchedules(
      plans.map((plan) => ({
        id: plan.taskId,
        nextRunAt: plan.patch.nextRunAt ?? null,
        fired: claimed.has(plan.taskId) && plan.fire ? plan.fire.slotAt : null,
      })),
    )
    return firing.length > 0
  }

  /** A `replace` task's fire ends the runs it replaced once the new run is committed (issue 8); not awaited. */
  function stopAfterCommit(runIds: readonly number[]): void {
    if (runIds.length > 0) stopReplaced(deps.runControl, runIds).catch((error) => deps.onError(error, 'scheduler'))
  }

  async function fireDue(): Promise<void> {
    const now = deps.clock.now()
    const due = await deps.store.tasks.listDue(now)
    // FIRE_BATCH tasks per transaction: a commit per task made 1,000 tasks due in the same second
    // take seconds (bench "scheduler"). Rows are locked in id order, so two schedulers never
    // deadlock; if a batch fails, its tasks go again one per transaction, so one task's failure
    // does not hold back the others, and the runs committed before it still start.
    for (let i = 0; i < due.length; i += FIRE_BATCH) {
      const ids = due
        .slice(i, i + FIRE_BATCH)
        .map((t) => t.id)
        .sort((a, b) => a - b)
      let queued = false
      try {
        const toStop: number[] = []
        queued = await deps.store.transaction(async (tx) => {
          toStop.length = 0
          return fireBatch(tx, ids, now, toStop)
        })
        stopAfterCommit(toStop)
        for (const id of ids) deps.onTaskChanged(id)
      } catch (error) {
        if (ids.length === 1) throw error
        try {
          for (const id of ids) {
            const toStop: number[] = []
            queued = (await deps.store.transaction((tx) => ((toStop.length = 0), fireBatch(tx, [id], now, toStop)))) || queued
            stopAfterCommit(toStop)
            deps.onTaskChanged(id)
          }
        } finally {
          if (queued) deps.runControl.wake()
        }
        continue
      }
      // Woken per batch: the first runs start while later batches are fired.
      if (queued) deps.runControl.wake()
    }
  }

  async function arm(): Promise<void> {
    if (stopped) return
    const next = await deps.store.tasks.nextDueAt()
    // Never longer than a minute: a delay of 30 days is re-armed every minute, reading the clock
    // each time, so neither a timer's limit (24.8 days) nor a clock change fires it early.
    setTimer(next == null ? MAX_SLEEP_MS : Math.min(Math.max(next - deps.clock.now(), 0), MAX_SLEEP_MS))
  }

  function setTimer(delayMs: number): void {
    if (stopped) return
    if (timer !== null) timers.clearTimeout(timer)
    timer = timers.setTimeout(wake, delayMs)
  }

  function wake(): void {
    if (stopped) return
    tick().catch((e) => deps.onError(e, 'scheduler'))
  }

  return {
    wake,
    stop() {
      stopped = true
      if (timer !== null) timers.clearTimeout(timer)
      timer = null
    },
  }
}
