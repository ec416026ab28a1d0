import type { ServiceDeps } from '../deps.ts'
import { assertEnvironmentExists } from './environment-access.ts'

/** Taskyard: the environment's packages pinned (pip freeze), to rebuild it elsewhere with `requirements`. */
export async function exportEnvironment(deps: Pick<ServiceDeps, 'environments' | 'store'>, name: string): Promise<string> {
  await assertEnvironmentExists(deps, name)
  return deps.environments.freeze(name)
}
