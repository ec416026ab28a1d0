import type { ServiceDeps } from '../deps.ts'
import { recordAudit, type Actor } from '../auth/record-audit.ts'
import { assertEnvironmentExists, assertNotBase, assertEnvironmentPermission, environmentInUse, referencingTasks } from './environment-access.ts'

/**
 * 000a delete: refused while any task references the environment. `force` (Taskyard) deletes it
 * anyway — those tasks' next runs fail until it is made again — but never under a live run.
 */
export async function deleteEnvironment(
  deps: Pick<ServiceDeps, 'environments' | 'store' | 'clock'>,
  actor: Actor,
  name: string,
  force: boolean,
): Promise<void> {
  await assertEnvironmentExists(deps, name)
  assertEnvironmentPermission(actor.user, 'delete')
  assertNotBase(name, 'deleted')
  const blocking = await referencingTasks(deps, name, force)
  if (blocking.length > 0) throw environmentInUse('Cannot delete environment that is referenced by tasks', blocking)
  await deps.environments.remove(name)
  // On disk, not in the store: the entry follows the removal.
  await recordAudit(deps.store, deps.clock, actor, 'environment.delete', { type: 'environment', id: name }, force ? { force: true } : null)
}
