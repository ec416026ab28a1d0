import type { Task } from '../domain/task.ts'
import type { RunWithTaskName } from '../domain/run.ts'
import type { ServiceDeps } from './deps.ts'

/** spec 000 GET /api/tasks?type=defined: every task, by id. */
export async function listTasks(deps: ServiceDeps): Promise<Task[]> {
  return deps.store.tasks.list()
}

export const HISTORY_WINDOW_MS = 30 * 24 * 60 * 60 * 1000
export const DEFAULT_HISTORY_ENTRIES = 1000

/** spec 000 history: runs that started in the last month, newest first. */
export async function listRunHistory(deps: ServiceDeps, limit = DEFAULT_HISTORY_ENTRIES): Promise<RunWithTaskName[]> {
  return deps.store.runs.listHistory(deps.clock.now() - HISTORY_WINDOW_MS, limit)
}
