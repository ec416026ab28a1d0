/**
 * The scheduler's loop: one timer, armed for the earliest next run of any scheduled task
 * (and at least once a minute, so a clock change or another node's edit is noticed).
 * Invariant: while not stopped, a timer is always armed, whatever a tick threw.
 */
import type { Clock } from '../domain/clock.ts'
import type { Store } from '../store/store.ts'
import type { RunController } from './dispatcher.ts'
import { planDueRun } from './plan-due-run.ts'

/** The timer functions the loop uses; tests pass fake ones moved with their fake clock. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const realTimers: Timers = {
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms)
    // The server's HTTP listener keeps the process alive; a schedule alone does not.
    handle.unref()
    return handle
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

export interface SchedulerDeps {
  store: Store
  clock: Clock
  runs: RunController
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

const MAX_SLEEP_MS = 60_000
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
      do {
        tickAgain = false
        await fireDue()
      } while (tickAgain)
      await arm()
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

  async function fireDue(): Promise<void> {
    const now = deps.clock.now()
    const due = await deps.store.tasks.listDue(now)
    let queued = false
    try {
      for (const candidate of due) {
        const started = await deps.store.transaction(async (tx) => {
          // Re-read and locked inside the transaction: a pause, stop or trigger since listDue wins.
          const task = await tx.tasks.lockById(candidate.id)
          if (!task || task.status !== 'scheduled' || task.nextRunAt == null || task.nextRunAt > now) return false
          const active = await tx.runs.findActiveForTask(task.id)
          const decision = planDueRun(task, active !== undefined, now, deps.timeZone)
          if (decision.startRun) await tx.runs.insert({ taskId: task.id, priority: task.priority, trigger: 'schedule', queuedAt: now })
          await tx.tasks.update(task.id, decision.patch)
          return decision.startRun
        })
        queued ||= started
        deps.onTaskChanged(candidate.id)
      }
    } finally {
      // Runs committed before a later task's failure still get started.
      if (queued) deps.runs.wake()
    }
  }

  async function arm(): Promise<void> {
    if (stopped) return
    const next = await deps.store.tasks.nextDueAt()
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
