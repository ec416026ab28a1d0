/** The run policy of create and PUT (issue 6): who may set run_as, and whether its account exists. */
import { insufficientPrivileges, TaskyardError } from '../domain/errors.ts'
import type { TaskRunPolicy } from '../domain/task.ts'
import type { Role } from '../domain/user.ts'
import type { ServiceDeps } from './deps.ts'

/**
 * Returns the policy to store once it is allowed. run_as (set or cleared) from anyone but an admin
 * is spec 000's 403: it picks the OS account the task's code runs as. A user this host does not
 * have is a 400 naming it. The limits arrive parsed (http/parse/run-policy-fields.ts).
 */
export async function checkRunPolicy(deps: Pick<ServiceDeps, 'accounts' | 'environments'>, actorRole: Role, policy: TaskRunPolicy): Promise<TaskRunPolicy> {
  if (typeof policy.nodeVersion === 'string') await assertNodeAvailable(deps, policy.nodeVersion)
  if (policy.runAs === undefined) return policy
  if (actorRole !== 'admin') throw insufficientPrivileges('set the account a task runs as')
  if (policy.runAs === null) return policy
  if (!deps.accounts.canSwitch) {
    throw invalid(`run_as needs the server to run as root; this one runs every task as its own user`)
  }
  const account = await deps.accounts.resolve(policy.runAs)
  if (!account) throw invalid(`run_as: there is no user '${policy.runAs}' on this host (give a user name or uid:gid)`)
  return policy
}

/** node_version (issue 9): one of the Nodes installed, else a 400 that lists them. */
async function assertNodeAvailable(deps: Pick<ServiceDeps, 'environments'>, version: string): Promise<void> {
  const nodes = await deps.environments.nodes()
  if (nodes.has(version)) return
  const available = [...nodes.keys()]
  throw new TaskyardError('node_unavailable', 'Node.js version not available', {
    error: `Node.js ${version} is not installed on this server (available: ${available.join(', ') || 'none'})`,
    available_versions: available,
  })
}

function invalid(error: string): TaskyardError {
  return new TaskyardError('invalid_input', 'Invalid request', { error })
}
