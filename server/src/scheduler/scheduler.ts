/**
 * The scheduler's loop: one timer, armed for the earliest next run of any scheduled task
 * (and at least once a minute, so a clock change or another node's edit is noticed).
 */
import type { Clock } from '../domain/clock.ts'
import type { Store } from '../store/store.ts'
import type { RunController } from './dispatcher.ts'
import { planDueRun } from './plan-due-run.ts'

export interface SchedulerDeps {
  store: Store
  clock: Clock
  runs: RunController
  timeZone: string | undefined
  onTaskChanged(taskId: number): void
  onError(error: unknown, context: string): void
}

export interface Scheduler {
  /** Re-reads the schedules now; call after any commit that changes one. */
  wake(): void
  stop(): void
}

const MAX_SLEEP_MS = 60_000

export function createScheduler(deps: SchedulerDeps): Scheduler {
  let timer: NodeJS.Timeout | null = null
  let stopped = false
  let ticking = false
  let tickAgain = false

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
    } finally {
      ticking = false
    }
  }

  async function fireDue(): Promise<void> {
    const now = deps.clock.now()
    const due = await deps.store.tasks.listDue(now)
    let queued = false
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
    if (queued) deps.runs.wake()
  }

  async function arm(): Promise<void> {
    if (stopped) return
    const next = await deps.store.tasks.nextDueAt()
    const delay = next == null ? MAX_SLEEP_MS : Math.min(Math.max(next - deps.clock.now(), 0), MAX_SLEEP_MS)
    if (timer) clearTimeout(timer)
    timer = setTimeout(wake, delay)
    timer.unref()
  }

  function wake(): void {
    if (stopped) return
    tick().catch((e) => deps.onError(e, 'scheduler'))
  }

  return {
    wake,
    stop() {
      stopped = true
      if (timer) clearTimeout(timer)
    },
  }
}
