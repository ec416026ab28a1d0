/**
 * The Environments contract on top of a backend that knows how to list, create and remove one
 * kind of environment (venv, conda). Everything that makes installs all-or-nothing lives here,
 * once for both kinds: validation first, a lock per name, snapshots, recovery after a crash.
 */
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { TaskyardError } from '../domain/errors.ts'
import { createEnvJournal } from './env-journal.ts'
import { ENV_NAME_PATTERN, type EnsureResult, type Environments, type InstallResult, type RunEnvironment } from './environments.ts'
import { pipInstall } from './pip-install.ts'
import { parseRequirements, type ParsedRequirements } from './requirements.ts'

export interface EnvironmentBackend {
  readonly kind: 'venv' | 'conda'
  /** Runs once, first: learns about the tools (interpreter, conda's directories); changes nothing. */
  open(): Promise<void>
  /** Runs once, after interrupted changes were undone: makes sure `base` is there. */
  ensureBase(): Promise<void>
  /** Names of the environments there are, in any order ('base' among them). */
  list(): Promise<string[]>
  /** The directory of an existing environment, or null when there is none of that name. */
  prefixOf(name: string): Promise<string | null>
  /** Makes a new environment with pip in it; throws with the tool's words when it cannot. */
  create(name: string): Promise<void>
  /** Removes an environment and everything in it; nothing there is fine. */
  remove(name: string): Promise<void>
  /** Top-level entries of the environment a snapshot must leave out (conda base: envs, pkgs). */
  snapshotExcludes(name: string): string[]
  runEnvironment(name: string, prefix: string): RunEnvironment
}

export interface ManagedEnvironmentsOptions {
  /** Where the journal keeps snapshots and markers; never inside an environment. */
  stateDir: string
  /** The environment pip runs with (already stripped of variables that redirect installs). */
  pipEnv: Readonly<Record<string, string>>
  allowUnsafeRequirements: boolean
}

export function createManagedEnvironments(backend: EnvironmentBackend, options: ManagedEnvironmentsOptions): Environments {
  const journal = createEnvJournal(options.stateDir)
  const locks = new Map<string, Promise<unknown>>()
  let starting: Promise<void> | null = null

  /** Start-up work, once; a failure is retried on the next call rather than remembered. */
  function ready(): Promise<void> {
    starting ??= (async () => {
      await backend.open()
      await journal.recover((name) => backend.remove(name))
      await backend.ensureBase()
    })().catch((error: unknown) => {
      starting = null
      throw error
    })
    return starting
  }

  /** Changes to one environment happen one at a time (in this process). */
  function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = locks.get(name) ?? Promise.resolve()
    const next = previous.then(fn, fn)
    const settled = next.then(
      () => undefined,
      () => undefined,
    )
    locks.set(name, settled)
    void settled.then(() => {
      if (locks.get(name) === settled) locks.delete(name)
    })
    return next
  }

  function parse(requirements: string | null): ParsedRequirements | null {
    if (requirements === null || requirements.trim() === '') return null
    return parseRequirements(requirements, { allowUnsafe: options.allowUnsafeRequirements })
  }

  async function existingPrefix(name: string): Promise<string | null> {
    if (await journal.isCreating(name)) return null
    return backend.prefixOf(name)
  }

  async function pipInto(prefix: string, parsed: ParsedRequirements): Promise<InstallResult> {
    const workDir = await journal.scratchDir()
    try {
      return await pipInstall(parsed, { python: path.join(prefix, 'bin', 'python'), env: options.pipEnv, workDir })
    } finally {
      await rm(workDir, { recursive: true, force: true })
    }
  }

  /** Snapshot, install, then keep the change or put the snapshot back. */
  async function installGuarded(name: string, prefix: string, parsed: ParsedRequirements): Promise<InstallResult> {
    if (parsed.requirements.length === 0) return pipInto(prefix, parsed)
    // A restore that failed earlier in this process is finished first, as start-up would.
    if (await journal.hasSnapshot(name)) await journal.restore(name)
    await journal.snapshot(name, prefix, backend.snapshotExcludes(name))
    let result: InstallResult
    try {
      result = await pipInto(prefix, parsed)
    } catch (error) {
      await journal.restore(name)
      throw error
    }
    if (result.success) await journal.drop(name)
    else await journal.restore(name)
    return result
  }

  async function createNew(name: string, parsed: ParsedRequirements | null): Promise<EnsureResult> {
    await journal.beginCreate(name)
    // Until endCreate, a crash leaves a marker and start-up removes the half-made environment.
    try {
      await backend.create(name)
      const prefix = await backend.prefixOf(name)
      if (prefix === null) throw new Error(`Environment '${name}' was created but cannot be found`)
      if (parsed === null || parsed.requirements.length === 0) {
        await journal.endCreate(name)
        return { created: true, install: null, message: `Environment '${name}' created` }
      }
      const install = await pipInto(prefix, parsed)
      if (!install.success) {
        await backend.remove(name)
        await journal.endCreate(name)
        return { created: true, install, message: `Failed to install requirements in new environment '${name}'; the environment was removed` }
      }
      await journal.endCreate(name)
      return { created: true, install, message: `Environment '${name}' created and requirements installed` }
    } catch (error) {
      await backend.remove(name)
      await journal.endCreate(name)
      throw error
    }
  }

  return {
    kind: backend.kind,

    async exists(name) {
      assertName(name)
      await ready()
      return (await existingPrefix(name)) !== null
    },

    async ensure(name, requirements) {
      assertName(name)
      const parsed = parse(requirements) // refuses bad lines before anything changes
      await ready()
      return withLock(name, async () => {
        const prefix = await existingPrefix(name)
        if (prefix === null) return createNew(name, parsed)
        if (parsed === null || parsed.requirements.length === 0) {
          return { created: false, install: null, message: `Using existing environment '${name}'` }
        }
        const install = await installGuarded(name, prefix, parsed)
        const message = install.success
          ? `Requirements installed in existing environment '${name}'`
          : `Failed to install requirements in existing environment '${name}'; it was restored to its previous state`
        return { created: false, install, message }
      })
    },

    async install(name, requirements) {
      assertName(name)
      const parsed = parse(requirements) ?? { requirements: [], lines: [] }
      await ready()
      return withLock(name, async () => {
        const prefix = await existingPrefix(name)
        if (prefix === null) throw envNotFound(name)
        return installGuarded(name, prefix, parsed)
      })
    },

    async runEnvironment(name) {
      assertName(name)
      await ready()
      const prefix = await existingPrefix(name)
      if (prefix === null) throw envNotFound(name)
      return backend.runEnvironment(name, prefix)
    },

    async list() {
      await ready()
      const names = await backend.list()
      const complete: string[] = []
      for (const name of names) if (!(await journal.isCreating(name))) complete.push(name)
      return complete.sort((a, b) => (a === 'base' ? -1 : b === 'base' ? 1 : a.localeCompare(b)))
    },
  }
}

export function assertName(name: string): void {
  if (!ENV_NAME_PATTERN.test(name)) {
    throw new TaskyardError('invalid_input', 'Invalid environment name', {
       
      error: `Environment name '${name.slice(0, 100).replace(/[\u0000-\u001f\u007f]/g, '?')}' is not allowed: use 1-64 letters, digits, '.', '_' or '-', not starting with '.' or '-'`,
    })
  }
}

/** spec 000 (update task): the body for an environment that does not exist. */
function envNotFound(name: string): TaskyardError {
  return new TaskyardError('env_not_found', 'Environment not found', {
    error: `The specified conda environment '${name}' does not exist`,
  })
}
