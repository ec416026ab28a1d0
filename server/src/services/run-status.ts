import type { Run } from '../domain/run.ts'
import type { Actor } from './auth/record-audit.ts'
import { assertTaskPermission } from './auth/task-permission.ts'
import type { ServiceDeps } from './deps.ts'

export interface ActiveRun {
  run: Run
  taskName: string
}

/** spec 003's brief status: the runs that hold a process (running or paused), and how many wait. */
export interface RunStatusSummary {
  /** Running and paused runs, earliest start first. */
  active: ActiveRun[]
  queued: number
}

export async function runStatus(deps: ServiceDeps, actor: Actor): Promise<RunStatusSummary> {
  await assertTaskPermission(deps, actor.user, 'read', null)
  const runs = await deps.store.runs.listActive()
  const live = runs.filter((r) => r.status !== 'queued').sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0) || a.id - b.id)
  const names = new Map<number, string>()
  for (const run of live) {
    if (names.has(run.taskId)) continue
    const task = await deps.store.tasks.findById(run.taskId)
    if (task) names.set(task.id, task.name)
  }
  return {
    // A run whose task was deleted since the list was read is gone with it.
    active: live.filter((r) => names.has(r.taskId)).map((run) => ({ run, taskName: names.get(run.taskId)! })),
    queued: runs.length - live.length,
  }
}
