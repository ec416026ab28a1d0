import { effectiveMaxWorkers } from '../../domain/queue-settings.ts'
import type { RunWithTaskName } from '../../domain/run.ts'
import type { ServiceDeps } from '../deps.ts'

export interface QueuePage {
  /** In start order; position 1 starts next. */
  entries: { position: number; run: RunWithTaskName }[]
  total: number
  /** Runs holding a slot now (running or paused), on every server. */
  busy: number
  maxWorkers: number | null
}

/** GET /api/queue: the queued runs in the order they will start (every role reads it). */
export async function listQueue(deps: Pick<ServiceDeps, 'store' | 'settings'>, page: { page: number; pageSize: number }): Promise<QueuePage> {
  const offset = (page.page - 1) * page.pageSize
  const [runs, total, busy, settings] = await Promise.all([
    deps.store.runs.listQueued(page.pageSize, offset),
    deps.store.runs.countQueued(),
    deps.store.runs.countBusy(),
    deps.store.queueSettings.get(),
  ])
  return {
    entries: runs.map((run, i) => ({ position: offset + i + 1, run })),
    total,
    busy,
    maxWorkers: effectiveMaxWorkers(settings, deps.settings.maxWorkers),
  }
}
