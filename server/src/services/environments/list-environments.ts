import type { EnvironmentDetails } from '../../environments/environments.ts'
import type { ServiceDeps } from '../deps.ts'

export interface EnvironmentSummary extends EnvironmentDetails {
  sizeBytes: number
}

/** 000a list: every complete environment with its packages and size, `base` first. */
export async function listEnvironments(deps: Pick<ServiceDeps, 'environments'>): Promise<EnvironmentSummary[]> {
  const all = await deps.environments.listDetails()
  const out: EnvironmentSummary[] = []
  for (const env of all) out.push({ ...env, sizeBytes: await sizeOrZero(deps, env.name) })
  return out
}

/** An environment removed between the listing and the count weighs nothing. */
export async function sizeOrZero(deps: Pick<ServiceDeps, 'environments'>, name: string): Promise<number> {
  return deps.environments.diskUsage(name).catch(() => 0)
}
