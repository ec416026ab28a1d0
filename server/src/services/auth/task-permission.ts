import { authenticationRequired, insufficientPrivileges } from '../../domain/errors.ts'
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

/**
 * Refuses with spec 000's 401 or 403 unless `user` may do `action` (to the task, when one is
 * named). A task that does not exist is spec 000's 404, checked before ownership. Every task
 * service asks this first, before it reads its input: a refused upload is never stored.
 */
export async function assertTaskPermission(deps: Pick<ServiceDeps, 'store'>, user: User | null, action: TaskPermission, taskId: number | null): Promise<User> {
  if (!user) throw authenticationRequired()
  const task = taskId == null ? null : await findTaskOrThrow(deps.store, taskId)
  if (!can(user, action, task)) throw insufficientPrivileges(WHAT[action])
  return user
}
