import { TaskyardError } from '../../domain/errors.ts'
import type { ServiceDeps } from '../deps.ts'
import { recordAudit, type Actor } from '../auth/record-audit.ts'
import { assertEnvironmentExists, assertEnvironmentPermission, assertNotBuilding, environmentInUse, referencingTasks } from './environment-access.ts'
import { packageList } from './install-packages.ts'

/** 000a remove: names only; a name not installed is refused before anything changes. */
export async function removePackages(
  deps: Pick<ServiceDeps, 'environments' | 'store' | 'clock'>,
  actor: Actor,
  name: string,
  packages: readonly string[],
): Promise<{ removed: string[] }> {
  await assertEnvironmentExists(deps, name)
  assertEnvironmentPermission(actor.user, 'uninstall')
  const list = packageList(packages)
  await assertNotBuilding(deps, name)
  const busy = await referencingTasks(deps, name, true)
  if (busy.length > 0) throw environmentInUse('Cannot remove packages from environment that is referenced by running tasks', busy)
  const result = await deps.environments.uninstall(name, list)
  if (!result.success) {
    throw new TaskyardError('packages_failed', 'Failed to remove packages', {
      error: result.error,
      failed_packages: result.failedPackages,
      error_details: result.errorDetails,
    })
  }
  // On disk, not in the store: the entry follows the removal.
  await recordAudit(deps.store, deps.clock, actor, 'environment.uninstall', { type: 'environment', id: name }, { packages: list })
  return { removed: list }
}
