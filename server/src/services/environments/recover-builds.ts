import type { Clock } from '../../domain/clock.ts'
import type { Environments } from '../../environments/environments.ts'
import type { Store } from '../../store/store.ts'

/**
 * After a crash (start-up, before any run starts): every build still in progress was interrupted.
 * The environments already undid what it left (a half-made environment removed, a changed one put
 * back from its snapshot); here each is recorded as failed, and an interrupted creation is built
 * again from what it asked for, so the environment is whole before a task runs in it.
 */
export async function recoverEnvironmentBuilds(
  deps: { store: Store; clock: Clock; environments: Environments },
  log: (message: string) => void,
): Promise<void> {
  for (const build of await deps.store.environmentBuilds.listInProgress()) {
    const making = build.action === 'create' || build.action === 'rebuild'
    const undone = making ? 'the half-built environment was removed and is built again' : 'the environment was put back exactly as it was before the build'
    await deps.store.environmentBuilds.finish(build.id, {
      endedAt: deps.clock.now(),
      ok: false,
      error: `Interrupted: the server stopped during this build; ${undone}`,
    })
    if (!making || (await deps.environments.exists(build.envName))) continue
    log(`Environment '${build.envName}': its build was interrupted by a server stop; building it again`)
    try {
      const result = await deps.environments.create(build.envName, build.requirements, { pythonVersion: build.pythonVersion, action: 'rebuild' })
      if (result.install && !result.install.success) log(`Environment '${build.envName}': the rebuild failed: ${result.install.error ?? ''}`)
    } catch (error) {
      log(`Environment '${build.envName}': the rebuild failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
}
