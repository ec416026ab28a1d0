/**
 * The scheduler's loop: one timer, armed for the earliest next run of any scheduled task
 * (and at least once a minute, so a clock change or another node's edit is noticed).
 * Invariant: while not stopped, a timer is always armed, whatever a tick threw.
 */
import type { Clock } from '../domain/clock.ts'
import { admitsSecondRun } from '../domain/concurrency.ts'
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
/** Due tasks fired per transaction. */
const FIRE_BATCH = 100
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
   * Fires one due task inside `tx`, on its row as it is now (locked): a pause, stop or trigger
   * committed since listDue wins. True when a run was queued.
   */
  async function fireOne(tx: StoreTables, taskId: number, now: number, toStop: number[]): Promise<boolean> {
    const task = await tx.tasks.lockById(taskId)
    if (!task) return false
    // Issue 8: only `forbid` skips a time while a run is live; the other policies queue beside it.
    const live = await tx.runs.findActiveForTask(task.id)
    const active = new Set(live && !admitsSecondRun(task.concurrency) ? [task.id] : [])
    const [plan] = planDueRuns([task], active, now, deps.timeZone)
    if (!plan) return false
    const skipped = plan.skipped.map((s) => ({
      taskId: task.id,
      slotAt: s.slotAt,
      outcome: 'skipped' as const,
      reason: s.reason,
      runId: null,
      recordedAt: now,
    }))
    await tx.scheduleSlots.record(skipped)
    // The slot's record comes first: a run follows only a fresh one, so a time recorded
    // before (this process before a crash, another scheduler) never gets a second run.
    const fire = plan.fire
    const claimed =
      fire && (await tx.scheduleSlots.record([{ taskId: task.id, slotAt: fire.slotAt, outcome: 'fired', reason: fire.reason, runId: null, recordedAt: now }]))
    if (!fire || !claimed || claimed.length === 0) {
      await tx.tasks.update(task.id, { nextRunAt: plan.patch.nextRunAt })
      return false
    }
    const isSupervising = deps.runControl.isSupervising?.bind(deps.runControl)
    const admitted = await queueRunByPolicy(
      tx,
      task,
      { taskId: task.id, priority: task.priority, trigger: 'schedule', queuedAt: now },
      { now, by: null, ...(isSupervising ? { isSupervising } : {}) },
    )
    // The plan left out a forbid task with a live run, under the same row lock: never undefined here.
    if (!admitted) throw new Error(`Task ${task.id}: its run was refused by its concurrency policy`)
    const run = admitted.run
    toStop.push(...admitted.toStop)
    await tx.scheduleSlots.setRun(task.id, fire.slotAt, run.id)
    // The row is locked: the count cannot be raced.
    await tx.tasks.update(task.id, { ...plan.patch, scheduleRuns: task.scheduleRuns + 1, lastScheduledAt: fire.slotAt })
    return true
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
        const started = await deps.store.transaction(async (tx) => {
          toStop.length = 0
          const out: boolean[] = []
          for (const id of ids) out.push(await fireOne(tx, id, now, toStop))
          return out
        })
        queued = started.includes(true)
        stopAfterCommit(toStop)
        for (const id of ids) deps.onTaskChanged(id)
      } catch (error) {
        if (ids.length === 1) throw error
        try {
          for (const id of ids) {
            const toStop: number[] = []
            queued = (await deps.store.transaction((tx) => ((toStop.length = 0), fireOne(tx, id, now, toStop)))) || queued
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
