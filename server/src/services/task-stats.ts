import type { DurationStats, RunBriefWithTaskName, RunStatus } from '../domain/run.ts'
import type { Task, TaskStatus } from '../domain/task.ts'
import type { TimeRange } from '../domain/time-range.ts'
import type { ServiceDeps } from './deps.ts'

const HOUR_MS = 3_600_000

export interface TaskStats {
  taskCounts: Partial<Record<TaskStatus, number>>
  runCounts: Partial<Record<RunStatus, number>>
  durations: DurationStats
  /** 24 hourly buckets ending with the current hour. */
  hours: { start: number; memoryUsedBytes: number | null; runsStarted: number }[]
  totalMemoryBytes: number
  /** 7 local days ending today. */
  days: { start: number; succeeded: number; failed: number }[]
  upcoming: Task[]
  recent: RunBriefWithTaskName[]
}

/** Local midnight of the day `offset` days from the day of `ms`. */
function localMidnight(ms: number, offset: number): number {
  const d = new Date(ms)
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + offset).getTime()
}

/** spec 000 /api/tasks/stats: one query per figure, each answered by an index. */
export async function taskStats(deps: ServiceDeps): Promise<TaskStats> {
  const now = deps.clock.now()
  const currentHour = Math.floor(now / HOUR_MS) * HOUR_MS
  const hourRanges: TimeRange[] = Array.from({ length: 24 }, (_, i) => {
    const from = currentHour - (23 - i) * HOUR_MS
    return { from, to: from + HOUR_MS }
  })
  const dayRanges: TimeRange[] = Array.from({ length: 7 }, (_, i) => ({
    from: localMidnight(now, i - 6),
    to: localMidnight(now, i - 5),
  }))
  const [stored, queuedOnly, runCounts, durations, memory, started, succeeded, failed, upcoming, recent] = await Promise.all([
    deps.store.tasks.countByStatus(),
    deps.store.runs.countQueuedOnlyRunningTasks(),
    deps.store.runs.countByStatus(),
    deps.store.runs.durationStats(),
    deps.store.systemSamples.averageMemoryInRanges(hourRanges),
    deps.store.runs.countInRanges('startedAt', hourRanges),
    deps.store.runs.countInRanges('endedAt', dayRanges, ['completed']),
    deps.store.runs.countInRanges('endedAt', dayRanges, ['failed', 'abnormal', 'timeout']),
    deps.store.tasks.listUpcoming(10),
    deps.store.runs.listHistory(0, 5),
  ])
  // Issue 8: a task whose live runs are all queued is shown 'scheduled', here as in the task list.
  const taskCounts = { ...stored }
  if (queuedOnly > 0) {
    taskCounts.running = Number(stored.running ?? 0) - queuedOnly
    taskCounts.scheduled = Number(stored.scheduled ?? 0) + queuedOnly
  }
  return {
    taskCounts,
    runCounts,
    durations,
    hours: hourRanges.map((r, i) => ({ start: r.from, memoryUsedBytes: memory[i] ?? null, runsStarted: started[i] ?? 0 })),
    totalMemoryBytes: deps.system.totalMemoryBytes(),
    days: dayRanges.map((r, i) => ({ start: r.from, succeeded: succeeded[i] ?? 0, failed: failed[i] ?? 0 })),
    upcoming,
    recent,
  }
}
