import type { Run } from '../domain/run.ts'
import type { Actor } from './auth/record-audit.ts'
import { assertTaskPermission } from './auth/task-permission.ts'
import type { ServiceDeps } from './deps.ts'
import { findTaskOrThrow } from './find-task.ts'

export const DEFAULT_RUNS_PAGE_SIZE = 10
export const MAX_RUNS_PAGE_SIZE = 100

export interface RunPage {
  taskName: string
  runs: Run[]
  /** The queue position of each queued run of the page. */
  queuePositions: Map<number, number>
  /** How many result files each run of the page has. */
  artifactCounts: Map<number, number>
  /** All the task's runs, on every page. */
  total: number
  page: number
  pageSize: number
}

/** A task's runs, newest first, one page at a time (page 1 is the newest; spec 001's page/page_size). */
export async function listTaskRuns(deps: ServiceDeps, actor: Actor, taskId: number, page: number, pageSize: number): Promise<RunPage> {
  await assertTaskPermission(deps, actor.user, 'read', taskId)
  const task = await findTaskOrThrow(deps.store, taskId)
  const runs = await deps.store.runs.listForTask(taskId, pageSize, (page - 1) * pageSize)
  const total = await deps.store.runs.countForTask(taskId)
  const queuePositions = new Map<number, number>()
  for (const run of runs) {
    if (run.status !== 'queued') continue
    const position = await deps.store.runs.queuePosition(run.id, deps.clock.now())
    if (position != null) queuePositions.set(run.id, position)
  }
  const artifactCounts = new Map<number, number>()
  for (const run of runs) artifactCounts.set(run.id, await deps.artifacts.count({ taskId, runId: run.id }))
  return { taskName: task.name, runs, queuePositions, artifactCounts, total, page, pageSize }
}
