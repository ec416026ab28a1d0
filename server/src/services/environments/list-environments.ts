import { environmentStatus, type EnvironmentBuild, type EnvironmentStatus } from '../../domain/environment-build.ts'
import type { EnvironmentDetails } from '../../environments/environments.ts'
import type { ServiceDeps } from '../deps.ts'

export interface EnvironmentSummary extends EnvironmentDetails {
  sizeBytes: number
  status: EnvironmentStatus
  /** The newest build (create, install, removal of packages); null for one never built here (base, conda's own). */
  lastBuild: EnvironmentBuild | null
}

/**
 * 000a list: every complete environment with its packages and size, `base` first, then the ones
 * being made (status `building`, nothing in them yet), so a create in progress is seen.
 */
export async function listEnvironments(deps: Pick<ServiceDeps, 'environments' | 'store'>): Promise<EnvironmentSummary[]> {
  const [all, latest] = await Promise.all([deps.environments.listDetails(), deps.store.environmentBuilds.latestByName()])
  const out: EnvironmentSummary[] = []
  for (const env of all) out.push(await summarize(deps, env, latest.get(env.name)))
  const listed = new Set(all.map((e) => e.name))
  for (const build of latest.values()) {
    if (!listed.has(build.envName) && build.endedAt === null && build.action !== 'install' && build.action !== 'uninstall') out.push(beingMade(deps, build))
  }
  return out
}

export async function summarize(
  deps: Pick<ServiceDeps, 'environments'>,
  env: EnvironmentDetails,
  latest: EnvironmentBuild | undefined,
): Promise<EnvironmentSummary> {
  return { ...env, sizeBytes: await sizeOrZero(deps, env.name), status: environmentStatus(latest), lastBuild: latest ?? null }
}

/** An environment whose first build is in progress: nothing to inspect yet. */
export function beingMade(deps: Pick<ServiceDeps, 'environments'>, build: EnvironmentBuild): EnvironmentSummary {
  return {
    name: build.envName,
    kind: deps.environments.kind,
    location: '',
    createdAt: build.startedAt,
    pythonVersion: build.pythonVersion,
    packages: [],
    sizeBytes: 0,
    status: 'building',
    lastBuild: build,
  }
}

/** An environment removed between the listing and the count weighs nothing. */
export async function sizeOrZero(deps: Pick<ServiceDeps, 'environments'>, name: string): Promise<number> {
  return deps.environments.diskUsage(name).catch(() => 0)
}
