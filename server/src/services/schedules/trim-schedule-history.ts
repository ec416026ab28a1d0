/**
 * Retention of the schedule history (schedule_slots): a per-second cron records 86,400 times a
 * day. Each task keeps its newest MAX_SLOT_HISTORY times, all that its history route can show;
 * the newest are what the (task, time) key protects from a second run, so trimming older ones
 * never lets a time fire twice. A pass visits a bounded number of tasks, so no call scans the
 * whole table; the passes go round all tasks and start again.
 */
import type { Store } from '../../store/store.ts'
import { MAX_SLOT_HISTORY } from './find-schedule.ts'

export const TRIM_TASKS_PER_PASS = 200

/** A pass over the next TRIM_TASKS_PER_PASS tasks each call; returns how many slots it deleted. */
export function scheduleHistoryTrimmer(store: Store, keepPerTask: number = MAX_SLOT_HISTORY): () => Promise<number> {
  if (!Number.isInteger(keepPerTask) || keepPerTask < 1) throw new Error(`keepPerTask must be a positive integer, got ${keepPerTask}`)
  let after = 0
  return async () => {
    const { lastTaskId, deleted } = await store.scheduleSlots.trim(after, TRIM_TASKS_PER_PASS, keepPerTask)
    after = lastTaskId ?? 0
    return deleted
  }
}
