import { TaskyardError } from '../../domain/errors.ts'
import type { TaskRunPolicy } from '../../domain/task.ts'
import type { ServiceDeps } from '../deps.ts'

/**
 * Issue 12: what a run on a registered server cannot honour is refused when it is set, never
 * dropped at run time. A memory limit needs a cgroup this machine controls (runs over SSH have
 * none on the server); run_as needs this machine's accounts (a run there gets the login's).
 * Clearing either (null) is always allowed.
 */
export async function assertRunPolicyFitsServer(deps: Pick<ServiceDeps, 'store'>, taskId: number, policy: TaskRunPolicy): Promise<void> {
  const setsLimit = policy.memoryLimitMb != null
  const setsAccount = policy.runAs != null
  if (!setsLimit && !setsAccount) return
  const serverId = await deps.store.servers.findTaskServer(taskId)
  if (serverId === null) return
  const server = await deps.store.servers.findById(serverId)
  const where = `server '${server?.name ?? serverId}'`
  if (setsLimit) {
    throw invalid(
      `memory_limit_mb cannot be enforced on ${where}: runs over SSH get no cgroup there, so the limit would be ignored; remove memory_limit_mb or run the task on this machine`,
    )
  }
  throw invalid(`run_as cannot apply on ${where}: a run there gets the account Taskyard logs in as; remove run_as or change the server's username`)
}

function invalid(error: string): TaskyardError {
  return new TaskyardError('invalid_input', 'Invalid request', { error })
}
