import { BASE_ENVIRONMENT, environmentNotFound, environmentProtected } from '../../domain/environment.ts'
import { authenticationRequired, insufficientPrivileges, TaskyardError } from '../../domain/errors.ts'
import { canOnEnvironments, type EnvironmentPermission, type User } from '../../domain/user.ts'
import { isEnvironmentName } from '../../domain/names.ts'
import type { Task } from '../../domain/task.ts'
import type { ServiceDeps } from '../deps.ts'
import { environmentBusy } from '../../domain/environment-build.ts'

/** 000a's 403 words: "You do not have permission to modify this environment". */
const WHAT: Record<EnvironmentPermission, string> = {
  read: 'view this environment',
  create: 'create environments',
  rename: 'modify this environment',
  install: 'modify packages in this environment',
  uninstall: 'remove packages from this environment',
  delete: 'delete this environment',
}

export function assertEnvironmentPermission(user: User | null, action: EnvironmentPermission): void {
  if (!user) throw authenticationRequired()
  if (!canOnEnvironments(user, action)) throw insufficientPrivileges(WHAT[action])
}

/**
 * A name that cannot exist is not found either (it never reaches the environments). Existence
 * before permission, as for tasks. One whose first build is in progress is busy (409), not missing.
 */
export async function assertEnvironmentExists(deps: Pick<ServiceDeps, 'environments' | 'store'>, name: string): Promise<void> {
  if (!isEnvironmentName(name)) throw environmentNotFound()
  if (await deps.environments.exists(name)) return
  await assertNotBuilding(deps, name)
  throw environmentNotFound()
}

/** One build at a time per environment: while one runs, another is a 409 at once, not a wait. */
export async function assertNotBuilding(deps: Pick<ServiceDeps, 'store'>, name: string): Promise<void> {
  if ((await deps.store.environmentBuilds.latestByName([name])).get(name)?.endedAt === null) throw environmentBusy(name)
}

/** Tasks whose environment is `name`; with `activeOnly`, those with a run queued, running or paused. */
export async function referencingTasks(deps: Pick<ServiceDeps, 'store'>, name: string, activeOnly: boolean): Promise<Task[]> {
  const tasks = (await deps.store.tasks.list()).filter((t) => t.condaEnv === name)
  if (!activeOnly) return tasks
  const active: Task[] = []
  for (const task of tasks) {
    if (task.status === 'running' || (await deps.store.runs.findActiveForTask(task.id))) active.push(task)
  }
  return active
}

/** 000a's in-use refusal: `referencing_tasks` by name. */
export function environmentInUse(message: string, tasks: readonly Task[]): TaskyardError {
  return new TaskyardError('environment_in_use', message, { error: 'Environment is in use by tasks', referencing_tasks: tasks.map((t) => t.name) })
}

/** `base` is the system Python every server has: checked before anything else is said about it. */
export function assertNotBase(name: string, what: 'renamed' | 'deleted'): void {
  if (name === BASE_ENVIRONMENT) throw environmentProtected(what)
}
