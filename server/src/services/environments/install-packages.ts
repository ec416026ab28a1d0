import { TaskyardError } from '../../domain/errors.ts'
import type { ServiceDeps } from '../deps.ts'
import { recordAudit, type Actor } from '../auth/record-audit.ts'
import { assertEnvironmentExists, assertEnvironmentPermission, assertNotBuilding, environmentInUse, referencingTasks } from './environment-access.ts'

/** Each entry is one requirement line; a line break would smuggle in a second one. */
export function packageList(packages: readonly string[]): string[] {
  if (packages.length === 0 || packages.some((p) => p.trim() === '')) {
    throw new TaskyardError('invalid_input', 'Invalid request', { error: 'packages must be a non-empty array of package specifications' })
  }
  if (packages.some((p) => /[\r\n]/.test(p))) {
    throw new TaskyardError('invalid_input', 'Invalid request', { error: 'a package specification cannot contain a line break' })
  }
  return packages.map((p) => p.trim())
}

/** 000a install: all or nothing; refused while a task runs in the environment. */
export async function installPackages(
  deps: Pick<ServiceDeps, 'environments' | 'store' | 'clock'>,
  actor: Actor,
  name: string,
  packages: readonly string[],
): Promise<{ installed: string[] }> {
  await assertEnvironmentExists(deps, name)
  assertEnvironmentPermission(actor.user, 'install')
  const list = packageList(packages)
  await assertNotBuilding(deps, name)
  const busy = await referencingTasks(deps, name, true)
  if (busy.length > 0) throw environmentInUse('Cannot modify packages in environment that is referenced by running tasks', busy)
  // Requirement lines are checked (no index redirection, no paths) before pip sees any.
  const result = await deps.environments.install(name, list.join('\n') + '\n')
  if (!result.success) {
    throw new TaskyardError('packages_failed', 'Failed to install packages', {
      error: result.error,
      failed_packages: result.failedPackages,
      error_details: result.errorDetails,
    })
  }
  // On disk, not in the store: the entry follows the install.
  await recordAudit(deps.store, deps.clock, actor, 'environment.install', { type: 'environment', id: name }, { packages: list })
  return { installed: list }
}
