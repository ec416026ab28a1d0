import type { EnvironmentBuild } from '../../domain/environment-build.ts'
import { TaskyardError } from '../../domain/errors.ts'
import type { ServiceDeps } from '../deps.ts'
import { environmentNotFound } from '../../domain/environment.ts'

type Deps = Pick<ServiceDeps, 'store' | 'buildLogs' | 'bus' | 'environments'>

/** The last bytes the JSON answer holds; `offset` pages from an earlier byte. */
export const BUILD_LOG_TAIL_BYTES = 1024 * 1024

const buildNotFound = (error: string): TaskyardError => new TaskyardError('build_not_found', 'Build not found', { error })

/** The build (`buildId`, else the environment's newest), which must be one of `name`'s. */
export async function findBuild(deps: Deps, name: string, buildId: number | null): Promise<EnvironmentBuild> {
  const build = buildId === null ? (await deps.store.environmentBuilds.latestByName([name])).get(name) : await deps.store.environmentBuilds.findById(buildId)
  if (build !== undefined && build.envName === name) return build
  if (buildId === null && !(await deps.environments.exists(name).catch(() => false))) throw environmentNotFound()
  throw buildNotFound(buildId === null ? `Environment '${name}' has no recorded build` : `Environment '${name}' has no build ${buildId}`)
}

export interface BuildLogText {
  build: EnvironmentBuild
  text: string
  offset: number
  nextOffset: number
  size: number
}

/** A build's log: from `offset`, or its last BUILD_LOG_TAIL_BYTES. */
export async function readBuildLog(deps: Deps, name: string, buildId: number | null, offset?: number): Promise<BuildLogText> {
  const build = await findBuild(deps, name, buildId)
  const range = await deps.buildLogs.readRange(build.id, {
    ...(offset !== undefined ? { offset } : {}),
    limit: BUILD_LOG_TAIL_BYTES,
    complete: build.endedAt !== null,
  })
  if (offset !== undefined && offset > range.size) {
    throw new TaskyardError('invalid_input', 'Invalid log range', { error: `offset ${offset} is past the end of the log (${range.size} bytes)` })
  }
  return { build, text: range.text, offset: range.offset, nextOffset: range.nextOffset, size: range.size }
}

/** Resolves when the build has ended, already or later. */
function buildFinished(deps: Deps, buildId: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const off = deps.bus.on('environment:build-finished', (e) => {
      if (e.buildId === buildId) done()
    })
    const onAbort = (): void => done()
    signal.addEventListener('abort', onAbort, { once: true })
    function done(): void {
      off()
      signal.removeEventListener('abort', onAbort)
      resolve()
    }
    // Subscribed first, then checked: an end between the two is not missed.
    deps.store.environmentBuilds.findById(buildId).then(
      (b) => {
        if (!b || b.endedAt !== null) done()
      },
      () => done(),
    )
  })
}

/** The log as it grows, from `fromOffset` (a Last-Event-ID), ending with a chunk marked complete. */
export async function* streamBuildLog(
  deps: Deps,
  build: EnvironmentBuild,
  fromOffset: number,
  signal: AbortSignal,
): AsyncGenerator<{ text: string; offset: number; complete: boolean }> {
  const finished = buildFinished(deps, build.id, signal)
  const wasComplete = build.endedAt !== null
  const first = await deps.buildLogs.read(build.id, fromOffset, { complete: wasComplete, maxBytes: BUILD_LOG_TAIL_BYTES * 4 })
  const complete = wasComplete && first.nextOffset >= first.size
  yield { text: first.text, offset: first.nextOffset, complete }
  if (complete) return
  yield* deps.buildLogs.follow(build.id, first.nextOffset, finished, { signal })
}
