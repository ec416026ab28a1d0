import { TaskyardError } from '../../domain/errors.ts'
import type { ServiceDeps } from '../deps.ts'
import type { Actor } from '../auth/record-audit.ts'
import { recordAudit } from '../auth/record-audit.ts'
import { assertEnvironmentPermission, assertNotBuilding } from './environment-access.ts'

export interface CreateEnvironmentInput {
  name: unknown
  requirements?: unknown
  python_version?: unknown
}

/** 000a create, with Taskyard's `requirements`: the environment exists whole, with them, or not at all. */
export async function createEnvironment(
  deps: Pick<ServiceDeps, 'environments' | 'store' | 'clock'>,
  actor: Actor,
  input: CreateEnvironmentInput,
): Promise<{ name: string; createdAt: number }> {
  assertEnvironmentPermission(actor.user, 'create')
  if (typeof input.name !== 'string' || input.name === '') {
    throw new TaskyardError('invalid_input', 'Missing required field', { error: 'name is required' })
  }
  const requirements = input.requirements ?? null
  if (requirements !== null && typeof requirements !== 'string') {
    throw new TaskyardError('invalid_input', 'Invalid request', { error: 'requirements must be the text of a requirements.txt' })
  }
  const pythonVersion = input.python_version ?? null
  if (pythonVersion !== null && typeof pythonVersion !== 'string') {
    throw new TaskyardError('invalid_input', 'Invalid request', { error: 'python_version must be a string such as 3.11' })
  }
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
  await recordAudit(deps, actor, 'environment.create', { type: 'environment', id: input.name }, { requirements, python_version: pythonVersion })
  return { name: input.name, createdAt: details?.createdAt ?? deps.clock.now() }
}
