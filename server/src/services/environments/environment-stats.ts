import type { ServiceDeps } from '../deps.ts'
import { listEnvironments, type EnvironmentSummary } from './list-environments.ts'

export interface EnvironmentStats {
  environments: EnvironmentSummary[]
  /** Tasks per environment name (every environment listed, 0 when unused). */
  taskCounts: Map<string, number>
  totalTasks: number
}

/** 000a stats: what the dashboard's pie (tasks per environment) and bars (packages per environment) need. */
export async function environmentStats(deps: Pick<ServiceDeps, 'environments' | 'store'>): Promise<EnvironmentStats> {
  const [environments, tasks] = await Promise.all([listEnvironments(deps), deps.store.tasks.list()])
  const taskCounts = new Map(environments.map((e) => [e.name, 0]))
  for (const task of tasks) if (taskCounts.has(task.condaEnv)) taskCounts.set(task.condaEnv, taskCounts.get(task.condaEnv)! + 1)
  return { environments, taskCounts, totalTasks: tasks.length }
}
