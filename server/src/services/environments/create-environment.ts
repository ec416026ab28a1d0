import { TaskyardError } from '../../domain/errors.ts'
import type { ServiceDeps } from '../deps.ts'
import { recordAudit, type Actor } from '../auth/record-audit.ts'
import { assertEnvironmentPermission, assertNotBuilding } from './environment-access.ts'

export interface CreateEnvironmentInput {
  name: string
  /** The text of a requirements.txt. */
  requirements: string | null
  /** e.g. '3.11'; null or '': the default interpreter. */
  pythonVersion: string | null
}

/** 000a create, with Taskyard's `requirements`: the environment exists whole, with them, or not at all. */
export async function createEnvironment(
  deps: Pick<ServiceDeps, 'environments' | 'store' | 'clock'>,
  actor: Actor,
  input: CreateEnvironmentInput,
): Promise<{ name: string; createdAt: number }> {
  assertEnvironmentPermission(actor.user, 'create')
  if (input.name === '') throw new TaskyardError('invalid_input', 'Missing required field', { error: 'name is required' })
  const { requirements, pythonVersion } = input
  await assertNotBuilding(deps, input.name)
  const result = await deps.environments.create(input.name, requirements, { pythonVersion: pythonVersion === '' ? null : pythonVersion })
  if (result.install && !result.install.success) {
    // spec 000's words for a new environment whose requirements failed (it was removed).
    throw new TaskyardError('requirements_failed_new', 'Failed to install requirements in new environment', {
      error: result.install.error,
      failed_packages: result.install.failedPackages,
      error_details: result.install.errorDetails,
    })
  }
  const details = await deps.environments.details(input.name)
  // The environment is on disk, not in the store: its entry follows it (a failed write is a 500, the environment stays).
  await recordAudit(
    deps.store,
    deps.clock,
    actor,
    'environment.create',
    { type: 'environment', id: input.name },
    { requirements, python_version: pythonVersion },
  )
  return { name: input.name, createdAt: details?.createdAt ?? deps.clock.now() }
}
