import type { Clock } from '../../domain/clock.ts'
import type { BuildRecorder } from '../../environments/environments.ts'
import type { EventBus } from '../../events/events.ts'
import type { DataPaths } from '../../lib/paths.ts'
import type { Store } from '../../store/store.ts'

/**
 * Environment builds recorded in the store, each with its log file under logs/env-builds/. The
 * store's partial unique index is the one-build-per-name rule; the end is announced on the bus so
 * a streaming reader of the log knows it will not grow.
 */
export function storeBuildRecorder(deps: { store: Store; clock: Clock; bus: EventBus; paths: DataPaths }): BuildRecorder {
  const names = new Map<number, string>()
  return {
    async begin(start) {
      const build = await deps.store.environmentBuilds.begin({ ...start, startedAt: deps.clock.now() })
      names.set(build.id, build.envName)
      return { id: build.id, logPath: deps.paths.envBuildLog(build.id) }
    },
    async finish(id, outcome) {
      await deps.store.environmentBuilds.finish(id, { ...outcome, endedAt: deps.clock.now() })
      deps.bus.emit('environment:build-finished', { buildId: id, envName: names.get(id) ?? '', ok: outcome.ok })
      names.delete(id)
    },
  }
}
