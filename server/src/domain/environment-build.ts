import { TaskyardError } from './errors.ts'

/**
 * One build of an environment: its creation with requirements, an install or a removal of
 * packages. A build that has not ended is in progress; at most one is, per environment name.
 */
export type EnvironmentBuildAction = 'create' | 'install' | 'uninstall' | 'rebuild'

export interface EnvironmentBuild {
  id: number
  envName: string
  action: EnvironmentBuildAction
  /** Requirements text (create, install) or the package names, one a line (uninstall). */
  requirements: string | null
  /** `3.X` asked for at create; null: the server's default. */
  pythonVersion: string | null
  startedAt: number
  /** null while the build is in progress. */
  endedAt: number | null
  /** null while in progress. */
  ok: boolean | null
  /** Why it failed (pip's explaining lines, or the interruption); null when it succeeded. */
  error: string | null
}

export type NewEnvironmentBuild = Pick<EnvironmentBuild, 'envName' | 'action' | 'requirements' | 'pythonVersion' | 'startedAt'>

/** What list and detail say of an environment: `building` while a build runs, `failed` when the last one failed. */
export type EnvironmentStatus = 'building' | 'ready' | 'failed'

export function environmentStatus(latest: EnvironmentBuild | undefined): EnvironmentStatus {
  if (latest === undefined) return 'ready'
  if (latest.endedAt === null) return 'building'
  return latest.ok ? 'ready' : 'failed'
}

/** One build at a time per environment: a second is refused, never queued behind the first. */
export function environmentBusy(envName: string): TaskyardError {
  return new TaskyardError('environment_busy', 'Environment is being built', {
    error: `A build of environment '${envName}' is in progress; try again when it has finished (GET /api/conda/environment/${envName}/build-log follows it)`,
  })
}
