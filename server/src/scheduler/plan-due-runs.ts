import { MAX_LISTED_SLOTS, MISFIRE_GRACE_MS, type BlockedReason, type SlotReason } from '../domain/schedule-slot.ts'
import type { Task, TaskPatch } from '../domain/task.ts'
import { nextCronTime } from '../lib/cron.ts'

/** A scheduled time the plan skips, with why. */
export interface SkippedSlot {
  slotAt: number
  reason: SlotReason
}

/** What to do with one task whose time has come. */
export interface DuePlan {
  taskId: number
  /** Queue a run now. False when the task still has a live run (spec 004), or the time is skipped. */
  startRun: boolean
  /** The scheduled time the run is for (its key in the store), and why it runs late, if it does. */
  fire: { slotAt: number; reason: SlotReason | null } | null
  /** The other due times, each recorded as skipped: never a burst. */
  skipped: SkippedSlot[]
  patch: TaskPatch
}

export type SchedulableTask = Pick<Task, 'id' | 'status' | 'cronExpression' | 'nextRunAt'> & Partial<Pick<Task, 'timeZone' | 'misfire' | 'scheduleEnabled'>>

/**
 * Which of `tasks` fire at `now`, and what each one's row becomes. Pure: the loop in scheduler.ts
 * owns the timer, the transaction and the clock reading.
 * - Only a 'scheduled' (or 'running', issue 8) task with an enabled schedule whose next time is not after `now` fires;
 *   anything else gets no plan. So a clock that was set back fires nothing early and no slot
 *   twice: the task waits for the time it was given.
 * - The due times are the task's next time and every later cron time up to `now` (in the task's
 *   time zone, else `defaultZone`). Only the latest can run; the earlier ones are skipped as
 *   `coalesced`. A server that was down, or a tick that came late, never fires a burst.
 * - The latest one runs when it is at most MISFIRE_GRACE_MS late; later than that it is a misfire:
 *   policy `run_once` (the default) runs it now, `skip` skips it too.
 * - A task in `blocked` gets no run: every due time is skipped with its reason and its schedule
 *   moves on; its status is left to its live runs. A set names tasks with a live run (a run queued,
 *   running or paused: `run_active`); a map gives each task's reason (`queue_full` too).
 * - The next time is the first cron time after `now`. A one-off (delayed) task has none after it
 *   fired; it runs however late it is seen (misfire is a cron policy).
 */
export function planDueRuns(
  tasks: readonly SchedulableTask[],
  blocked: ReadonlySet<number> | ReadonlyMap<number, BlockedReason>,
  now: number,
  defaultZone?: string,
): DuePlan[] {
  const blockedReason = (taskId: number): BlockedReason | undefined =>
    blocked instanceof Map ? blocked.get(taskId) : blocked.has(taskId) ? 'run_active' : undefined
  const plans: DuePlan[] = []
  for (const task of tasks) {
    // 'running' too (issue 8): a time that comes while a run is live is decided then — skipped
    // (`run_active`) for forbid, queued beside it for the other policies — not after that run ends.
    if ((task.status !== 'scheduled' && task.status !== 'running') || task.scheduleEnabled === false || task.nextRunAt == null || task.nextRunAt > now) continue
    const zone = task.timeZone ?? defaultZone
    const due = task.cronExpression ? dueTimes(task.cronExpression, task.nextRunAt, now, zone) : { times: [task.nextRunAt], cut: false }
    const nextRunAt = task.cronExpression ? nextCronTime(task.cronExpression, now, zone) : null
    const latest = due.times[due.times.length - 1]!
    const earlier = due.times.slice(0, -1)
    const coalesced = earlier.map((slotAt, i): SkippedSlot => ({ slotAt, reason: due.cut && i === earlier.length - 1 ? 'coalesced_many' : 'coalesced' }))
    const reason = blockedReason(task.id)
    if (reason) {
      const skipped = due.times.map((slotAt): SkippedSlot => ({ slotAt, reason }))
      plans.push({ taskId: task.id, startRun: false, fire: null, skipped, patch: { nextRunAt } })
      continue
    }
    const late = task.cronExpression != null && now - latest > MISFIRE_GRACE_MS
    if (late && task.misfire === 'skip') {
      plans.push({ taskId: task.id, startRun: false, fire: null, skipped: [...coalesced, { slotAt: latest, reason: 'misfire_skip' }], patch: { nextRunAt } })
      continue
    }
    const fire = { slotAt: latest, reason: late ? ('misfire_run_once' as const) : null }
    plans.push({ taskId: task.id, startRun: true, fire, skipped: coalesced, patch: { nextRunAt, status: 'running' } })
  }
  return plans
}

/**
 * The cron times from `first` up to `now`, earliest first, `first` included. At most
 * MAX_LISTED_SLOTS are listed: past that (`cut`), the last listed time stands for every one after
 * it, and the latest time before `now` is found directly — a day's downtime of a per-second cron
 * costs a thousand steps, not 86,400.
 */
function dueTimes(expression: string, first: number, now: number, zone: string | undefined): { times: number[]; cut: boolean } {
  const times = [first]
  let t = first
  for (;;) {
    const next = nextCronTime(expression, t, zone)
    if (next == null || next > now) return { times, cut: false }
    if (times.length === MAX_LISTED_SLOTS) return { times: [...times, latestCronTimeAtOrBefore(expression, next, now, zone)], cut: true }
    times.push(next)
    t = next
  }
}

/** The latest cron time in [from, now]; `from` is one. Found by doubling steps back from `now`. */
function latestCronTimeAtOrBefore(expression: string, from: number, now: number, zone: string | undefined): number {
  let step = 1_000
  for (;;) {
    const start = Math.max(from, now - step)
    // The last cron time after `start - 1`... walked forward to now: the window holds few times.
    let candidate = start === from ? from : nextCronTime(expression, start - 1, zone)
    if (candidate != null && candidate <= now) {
      for (;;) {
        const next = nextCronTime(expression, candidate, zone)
        if (next == null || next > now) return candidate
        candidate = next
      }
    }
    if (start === from) return from
    step *= 2
  }
}
