import type { RunBrief } from '../domain/run.ts'
import { isActive } from '../domain/run.ts'
import { visibleTaskStatus } from '../domain/concurrency.ts'
import type { Task } from '../domain/task.ts'
import type { ServiceDeps } from './deps.ts'
import { findTaskOrThrow } from './find-task.ts'

/** How many runs the detail view lists by default; the API keeps the shape, not an unbounded size. */
export const DEFAULT_HISTORY_LIMIT = 100
export const MAX_HISTORY_LIMIT = 10_000
/** The latest run's log is cut to its last this-many bytes; the logs route serves it whole. */
export const LATEST_LOG_MAX_BYTES = 1024 * 1024

export interface TaskDetail {
  task: Task
  /** Newest first. */
  runs: RunBrief[]
  latest: { run: RunBrief; log: string; omittedBytes: number } | null
  /** Issue 8: where the task's first queued run stands in the queue (1: next); null when none is queued. */
  queuePosition: number | null
}

export async function getTask(deps: ServiceDeps, taskId: number, historyLimit = DEFAULT_HISTORY_LIMIT): Promise<TaskDetail> {
  const stored = await findTaskOrThrow(deps.store, taskId)
  // Issue 8: a task whose live runs are all queued is shown 'scheduled' (domain/concurrency.ts).
  const live = await deps.store.runs.listActiveForTask(taskId)
  const firstQueued = live.find((r) => r.status === 'queued')
  const counts = { queued: live.filter((r) => r.status === 'queued').length, busy: live.filter((r) => r.status !== 'queued').length }
  const task = { ...stored, status: visibleTaskStatus(stored.status, counts) }
  const queuePosition = firstQueued ? await deps.store.runs.queuePosition(firstQueued.id, deps.clock.now()) : null
  const runs = await deps.store.runs.listBriefForTask(taskId, historyLimit)
  const latestRun = runs[0]
  if (!latestRun) return { task, runs, latest: null, queuePosition }
  const log = await readLatestLog(deps, latestRun)
  return { task, runs, latest: { run: latestRun, ...log }, queuePosition }
}

async function readLatestLog(deps: ServiceDeps, run: RunBrief): Promise<{ log: string; omittedBytes: number }> {
  const { text, omittedBytes } = await deps.logs.readTail(run.id, LATEST_LOG_MAX_BYTES, { complete: !isActive(run.status) })
  return { log: text, omittedBytes }
}
