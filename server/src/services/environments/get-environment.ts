import { FINISHED_RUN_STATUSES } from '../../domain/run.ts'
import type { ServiceDeps } from '../deps.ts'
import { environmentNotFound } from '../../domain/environment.ts'
import { referencingTasks } from './environment-access.ts'
import { beingMade, summarize, type EnvironmentSummary } from './list-environments.ts'

export interface EnvironmentUsage {
  totalTasks: number
  /** Completed runs among finished ones, in percent; 0 with no finished run. */
  successRate: number
  /** Mean duration of runs that started and ended, ms; 0 with none. */
  avgDurationMs: number
}

/** Runs looked at per task: enough for a rate, bounded with a million runs. */
const RUNS_PER_TASK = 1000

export async function getEnvironment(
  deps: Pick<ServiceDeps, 'environments' | 'store'>,
  name: string,
): Promise<{ environment: EnvironmentSummary; usage: EnvironmentUsage }> {
  const details = await deps.environments.details(name)
  const latest = (await deps.store.environmentBuilds.latestByName([name])).get(name)
  if (details === null) {
    // Being made: seen with its build, nothing else to say yet.
    if (latest?.endedAt === null) return { environment: beingMade(deps, latest), usage: { totalTasks: 0, successRate: 0, avgDurationMs: 0 } }
    throw environmentNotFound()
  }
  const tasks = await referencingTasks(deps, name, false)
  let finished = 0
  let completed = 0
  let timed = 0
  let totalMs = 0
  for (const task of tasks) {
    for (const run of await deps.store.runs.listForTask(task.id, RUNS_PER_TASK)) {
      if (FINISHED_RUN_STATUSES.includes(run.status)) finished++
      if (run.status === 'completed') completed++
      if (run.startedAt !== null && run.endedAt !== null) {
        timed++
        totalMs += run.endedAt - run.startedAt
      }
    }
  }
  return {
    environment: await summarize(deps, details, latest),
    usage: {
      totalTasks: tasks.length,
      successRate: finished === 0 ? 0 : Math.round((completed / finished) * 10000) / 100,
      avgDurationMs: timed === 0 ? 0 : totalMs / timed,
    },
  }
}
