/**
 * Times the server's own spawn() calls without touching server code: child_process.spawn is
 * wrapped and Node's builtin ESM bindings are re-synced (module.syncBuiltinESMExports), so the
 * executor's `import { spawn } from 'node:child_process'` calls the wrapper. Only spawns whose
 * env carries TASKYARD_RUN_ID (run processes) are recorded, by run id, in performance.now() ms:
 *   callAt  — the executor calls spawn() (everything before is Taskyard's own overhead);
 *   spawnAt — the ChildProcess 'spawn' event: the exec succeeded, the process runs. This is
 *             "process start" for the latency figure (the executor stamps `at` in this same tick).
 */
import { createRequire, syncBuiltinESMExports } from 'node:module'
import type { ChildProcess } from 'node:child_process'

export interface SpawnTiming {
  callAt: number
  returnAt: number
  spawnAt: number | null
}

export interface SpawnProbe {
  timings: Map<number, SpawnTiming>
  uninstall(): void
}

const require = createRequire(import.meta.url)

export function installSpawnProbe(): SpawnProbe {
  const cp = require('node:child_process') as { spawn: (...args: unknown[]) => ChildProcess }
  const original = cp.spawn
  const timings = new Map<number, SpawnTiming>()
  cp.spawn = function probedSpawn(this: unknown, ...args: unknown[]): ChildProcess {
    const callAt = performance.now()
    const child = original.apply(this, args)
    const returnAt = performance.now()
    const options = (Array.isArray(args[1]) ? args[2] : args[1]) as { env?: Record<string, string> } | undefined
    const runId = Number(options?.env?.TASKYARD_RUN_ID)
    if (Number.isInteger(runId)) {
      const timing: SpawnTiming = { callAt, returnAt, spawnAt: null }
      timings.set(runId, timing)
      // Registered before the executor's own listener, so it runs just before it.
      child.once('spawn', () => (timing.spawnAt = performance.now()))
    }
    return child
  }
  syncBuiltinESMExports()
  return {
    timings,
    uninstall() {
      cp.spawn = original
      syncBuiltinESMExports()
    },
  }
}
