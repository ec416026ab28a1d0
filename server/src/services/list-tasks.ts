import { visibleTaskStatus } from '../domain/concurrency.ts'
import type { Task } from '../domain/task.ts'
import type { RunBriefWithTaskName } from '../domain/run.ts'
import type { ServiceDeps } from './deps.ts'

/** spec 000 GET /api/tasks?type=defined: every task, by id; issue 8's filters narrow it. */
export async function listTasks(deps: ServiceDeps, filter: { taskType?: string; label?: string } = {}): Promise<Task[]> {
  const tasks = await deps.store.tasks.list()
  // Issue 8: a task whose live runs are all queued is shown 'scheduled' (domain/concurrency.ts).
  const live = await deps.store.runs.countLiveByTask()
  return tasks
    .filter((t) => (filter.taskType === undefined || t.taskType === filter.taskType) && (filter.label === undefined || t.labels.includes(filter.label)))
    .map((t) => ({ ...t, status: visibleTaskStatus(t.status, live.get(t.id)) }))
}

export const HISTORY_WINDOW_MS = 30 * 24 * 60 * 60 * 1000
export const DEFAULT_HISTORY_ENTRIES = 1000

/** spec 000 history: runs that started in the last month, newest first. */
export async function listRunHistory(deps: ServiceDeps, limit = DEFAULT_HISTORY_ENTRIES): Promise<RunBriefWithTaskName[]> {
  return deps.store.runs.listHistory(deps.clock.now() - HISTORY_WINDOW_MS, limit)
}
