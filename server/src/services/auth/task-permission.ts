import { authenticationRequired, insufficientPrivileges } from '../../domain/errors.ts'
import { canRunOn } from '../../domain/server.ts'
import { can, type TaskPermission, type User } from '../../domain/user.ts'
import type { ServiceDeps } from '../deps.ts'
import { findTaskOrThrow } from '../find-task.ts'

/** The words spec 000's 403 uses: "You do not have permission to stop this task". */
const WHAT: Record<TaskPermission, string> = {
  read: 'view this task',
  create: 'create tasks',
  trigger: 'trigger this task',
  stop: 'stop this task',
  pause: 'pause this task',
  resume: 'resume this task',
  delete: 'delete this task',
  update: 'update this task',
}

const STARTS_OR_CHANGES: readonly TaskPermission[] = ['trigger', 'resume', 'update']

/**
 * Refuses with spec 000's 401 or 403 unless `user` may do `action` (to the task, when one is
 * named). A task that does not exist is spec 000's 404, checked before ownership. Every task
 * service asks this first, before it reads its input: a refused upload is never stored.
 */
export async function assertTaskPermission(deps: Pick<ServiceDeps, 'store'>, user: User | null, action: TaskPermission, taskId: number | null): Promise<User> {
  if (!user) throw authenticationRequired()
  const task = taskId == null ? null : await findTaskOrThrow(deps.store, taskId)
  if (!can(user, action, task)) throw insufficientPrivileges(WHAT[action])
  // Issue 12: starting or changing a task on a registered server is for admins and the operators allowed there.
  if (task && STARTS_OR_CHANGES.includes(action)) {
    const serverId = await deps.store.servers.findTaskServer(task.id)
    const server = serverId === null ? undefined : await deps.store.servers.findById(serverId)
    if (server && !canRunOn(user, server)) throw insufficientPrivileges(`run commands on server '${server.name}'`)
  }
  return user
}
