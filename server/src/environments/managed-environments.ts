/**
 * The Environments contract on top of a backend that knows how to list, create and remove one
 * kind of environment (venv, conda). Everything that makes installs all-or-nothing lives here,
 * once for both kinds: validation first, a lock per name, snapshots, recovery after a crash.
 */
import { rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { environmentNotFound, environmentProtected, envNotFound } from '../domain/environment.ts'
import { TaskyardError } from '../domain/errors.ts'
import { assertEnvironmentName, isEnvironmentName } from '../domain/names.ts'
import { createEnvJournal } from './env-journal.ts'
import { directorySize } from './directory-size.ts'
import { NO_BUILD_LOG, openBuildLog, type BuildLog } from './build-log.ts'
import {
  NO_BUILD_RECORDS,
  type BuildRecorder,
  type BuildStart,
  type EnsureResult,
  type EnvironmentDetails,
  type EnvironmentKind,
  type Environments,
  type InstallResult,
  type RunEnvironment,
  type UninstallResult,
} from './environments.ts'
import { findNodes } from './find-nodes.ts'
import { inspectEnvironment } from './inspect-environment.ts'
import { pipFailureSummary } from './parse-pip-output.ts'
import { pipInstall, type ProcessRunner } from './pip-install.ts'
import { NO_SANDBOX, type BuildSandbox } from './build-sandbox.ts'
import { normalizeName, parseRequirements, type ParsedRequirements } from './requirements.ts'

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
  /**
   * Makes a new environment with pip in it (of Python `3.X` when given), where nothing lists it
   * yet, and answers its directory there; throws with the tool's words when it cannot.
   */
  create(name: string, pythonVersion: string | null, log: BuildLog): Promise<string>
  /** Makes a whole environment built by `create` visible under its name. */
  publish(name: string, buildPrefix: string): Promise<void>
  /** Removes an environment `create` made that will not be published; nothing there is fine. */
  discard(name: string, buildPrefix: string | null): Promise<void>
  /** `3.X` → interpreter of the versions a new environment can have; null: any (the tool fetches it). */
  pythons(): Promise<Map<string, string> | null>
  /** Removes an environment and everything in it; nothing there is fine. */
  remove(name: string): Promise<void>
  /** Top-level entries of the environment a snapshot must leave out (conda base: envs, pkgs). */
  snapshotExcludes(name: string): string[]
  runEnvironment(name: string, prefix: string): RunEnvironment
  kindOf(name: string): EnvironmentKind
  /**
   * Gives an existing environment a new name that nothing has yet, whole or not at all (the
   * caller holds both names' locks and has checked both).
   */
  rename(oldName: string, newName: string): Promise<void>
  /**
   * Finishes a rename whose move happened but whose follow-up a crash may have cut short (a
   * venv's scripts still naming the old directory); doing it again changes nothing.
   */
  finishRename?(oldName: string, newName: string): Promise<void>
}

/** A project name as pip uninstall takes it: never an option, never a path. */
const PACKAGE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,198}[A-Za-z0-9])?$/

export interface ManagedEnvironmentsOptions {
  /** Where the journal keeps snapshots and markers; never inside an environment. */
  stateDir: string
  /** The environment pip runs with (already stripped of variables that redirect installs). */
  pipEnv: Readonly<Record<string, string>>
  allowUnsafeRequirements: boolean
  /** Where builds and their logs are recorded; default none. */
  builds?: BuildRecorder
  /** TASKYARD_PIP_TIMEOUT_SECONDS in ms; null = none. */
  pipTimeoutMs?: number | null
  /** Where pip and the environments' interpreters run (build-sandbox.ts); default as the server. */
  sandbox?: BuildSandbox
}

export function createManagedEnvironments(backend: EnvironmentBackend, options: ManagedEnvironmentsOptions): Environments {
  const journal = createEnvJournal(options.stateDir)
  const builds = options.builds ?? NO_BUILD_RECORDS
  const pipTimeoutMs = options.pipTimeoutMs ?? null
  const sandbox = options.sandbox ?? NO_SANDBOX
  /** Runs an environment's interpreter that only reads it (its .pth files run too: never as root). */
  const reading =
    (prefix: string): ProcessRunner =>
    (file, args, runOptions) =>
      sandbox.run(file, args, runOptions, { writable: [], readOnly: [prefix] })
  /** pip changing an environment, as the build account, the environment and `workDir` lent to it. */
  const changing =
    (prefix: string, workDir: string): ProcessRunner =>
    (file, args, runOptions) =>
      sandbox.run(file, args, runOptions, { writable: [prefix, workDir], readOnly: [] })
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

  /**
   * Runs one build under its record: refused (environment_busy) while another of the name is in
   * progress anywhere; its log written as it goes; its end recorded whatever happens.
   */
  async function recorded<T extends { success: boolean; error: string | null }>(start: BuildStart, build: (log: BuildLog) => Promise<T>): Promise<T> {
    const { id, logPath } = await builds.begin(start)
    let log = NO_BUILD_LOG
    try {
      log = await openBuildLog(logPath)
      const result = await build(log)
      log.write(result.success ? '\nBuild succeeded.\n' : `\nBuild failed:\n${result.error ?? ''}\n`)
      await log.close()
      await builds.finish(id, { ok: result.success, error: result.success ? null : result.error })
      return result
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      log.write(`\nBuild failed:\n${message}\n`)
      await log.close()
      await builds.finish(id, { ok: false, error: message })
      throw error
    }
  }

  async function pipInto(prefix: string, parsed: ParsedRequirements, log: BuildLog): Promise<InstallResult> {
    const workDir = await journal.scratchDir()
    try {
      return await sandbox.lend([prefix, workDir], () =>
        pipInstall(parsed, {
          python: path.join(prefix, 'bin', 'python'),
          env: options.pipEnv,
          workDir,
          log,
          timeoutMs: pipTimeoutMs,
          run: changing(prefix, workDir),
        }),
      )
    } finally {
      await rm(workDir, { recursive: true, force: true })
    }
  }

  /** Snapshot, change, then keep the change or put the snapshot back. */
  async function guarded<T extends { success: boolean }>(name: string, prefix: string, change: () => Promise<T>): Promise<T> {
    // A restore that failed earlier in this process is finished first, as start-up would.
    if (await journal.hasSnapshot(name)) await journal.restore(name)
    await journal.snapshot(name, prefix, backend.snapshotExcludes(name))
    let result: T
    try {
      result = await change()
    } catch (error) {
      await journal.restore(name)
      throw error
    }
    if (result.success) await journal.drop(name)
    else await journal.restore(name)
    return result
  }

  function installGuarded(name: string, prefix: string, parsed: ParsedRequirements): Promise<InstallResult> {
    if (parsed.requirements.length === 0) return pipInto(prefix, parsed, NO_BUILD_LOG)
    const start: BuildStart = { envName: name, action: 'install', requirements: parsed.lines.join('\n'), pythonVersion: null }
    return recorded(start, (log) => guarded(name, prefix, () => pipInto(prefix, parsed, log)))
  }

  async function detailsOf(name: string, prefix: string): Promise<EnvironmentDetails> {
    const [inspection, st] = await Promise.all([inspectEnvironment(prefix, options.pipEnv, reading(prefix)), stat(prefix)])
    // birthtime where the file system keeps one; a rename keeps it either way.
    const createdAt = Math.round(st.birthtimeMs > 0 ? st.birthtimeMs : st.ctimeMs)
    return { name, kind: backend.kindOf(name), location: prefix, createdAt, ...inspection }
  }

  async function uninstallFrom(name: string, prefix: string, packages: readonly string[]): Promise<UninstallResult> {
    const installed = new Map((await inspectEnvironment(prefix, options.pipEnv, reading(prefix))).packages.map((p) => [normalizeName(p.name), p]))
    const failedPackages: string[] = []
    const errorDetails: string[] = []
    for (const wanted of packages) {
      const found = installed.get(normalizeName(wanted))
      if (found === undefined) {
        failedPackages.push(wanted)
        errorDetails.push(`Package '${wanted}' is not installed in environment '${name}'`)
      } else if (!found.own) {
        failedPackages.push(wanted)
        errorDetails.push(`Package '${wanted}' belongs to the system Python, not to environment '${name}': it cannot be removed here`)
      }
    }
    if (failedPackages.length > 0) return { success: false, failedPackages, errorDetails, error: errorDetails.join('\n') }
    const start: BuildStart = { envName: name, action: 'uninstall', requirements: `${packages.join('\n')}\n`, pythonVersion: null }
    return recorded(start, (log) =>
      guarded(name, prefix, async () => {
        const args = ['-m', 'pip', 'uninstall', '--yes', '--disable-pip-version-check', '--no-input', ...packages]
        log.command('python', args)
        const workDir = await journal.scratchDir()
        const result = await sandbox
          .lend([prefix, workDir], () =>
            changing(prefix, workDir)(path.join(prefix, 'bin', 'python'), args, {
              env: options.pipEnv,
              cwd: workDir,
              onOutput: log.write,
              timeoutMs: pipTimeoutMs,
            }),
          )
          .finally(() => rm(workDir, { recursive: true, force: true }))
        if (result.code === 0) return { success: true, failedPackages: [], errorDetails: [], error: null }
        const summary = result.timedOut ? 'pip uninstall did not finish in time (TASKYARD_PIP_TIMEOUT_SECONDS)' : pipFailureSummary(result.output)
        return { success: false, failedPackages: [...packages], errorDetails: packages.map(() => summary), error: summary }
      }),
    )
  }

  async function listNames(): Promise<string[]> {
    await ready()
    const names = await backend.list()
    const complete: string[] = []
    for (const name of names) if (!(await journal.isCreating(name))) complete.push(name)
    return complete.sort((a, b) => (a === 'base' ? -1 : b === 'base' ? 1 : a.localeCompare(b)))
  }

  async function assertPythonAvailable(version: string): Promise<void> {
    const pythons = await backend.pythons()
    const available = pythons === null ? null : [...pythons.keys()]
    if (/^3\.\d{1,2}$/.test(version) && (available === null || available.includes(version))) return
    const listed = available === null ? 'give it as 3.X, e.g. 3.11' : `available: ${available.join(', ') || 'none'}`
    throw new TaskyardError('python_unavailable', 'Python version not available', {
      error: `Python '${version.slice(0, 20)}' is not installed on this server (${listed})`,
      available_versions: available ?? [],
    })
  }

  /**
   * Puts the directory under the name the store settled on (the new one when committed, else the
   * old), finishing a move the crash cut short, and forgets the rename.
   */
  async function settle(id: string, oldName: string, newName: string, committed: boolean): Promise<void> {
    const [from, to] = committed ? [oldName, newName] : [newName, oldName]
    if ((await backend.prefixOf(to)) !== null) await backend.finishRename?.(from, to)
    else if ((await backend.prefixOf(from)) !== null) await backend.rename(from, to)
    await journal.endRename(id)
  }

  /** Two names' locks, always taken in the same order: two opposite renames cannot wait on each other. */
  function withLocks<T>(a: string, b: string, fn: () => Promise<T>): Promise<T> {
    const [first, second] = a < b ? [a, b] : [b, a]
    return withLock(first, () => withLock(second, fn))
  }

  /**
   * Builds where nothing lists it (a venv in the journal's tmp/, a conda environment behind its
   * creating marker), then publishes it whole. A crash before that leaves only what start-up
   * removes; a failure removes it now.
   */
  function createNew(
    name: string,
    parsed: ParsedRequirements | null,
    pythonVersion: string | null = null,
    action: 'create' | 'rebuild' = 'create',
  ): Promise<EnsureResult & { success: boolean; error: string | null }> {
    const start: BuildStart = { envName: name, action, requirements: parsed === null ? null : parsed.lines.join('\n'), pythonVersion }
    return recorded(start, async (log) => {
      await journal.beginCreate(name)
      let buildPrefix: string | null = null
      try {
        buildPrefix = await backend.create(name, pythonVersion, log)
        const install = parsed === null || parsed.requirements.length === 0 ? null : await pipInto(buildPrefix, parsed, log)
        if (install !== null && !install.success) {
          await backend.discard(name, buildPrefix)
          await journal.endCreate(name)
          const message = `Failed to install requirements in new environment '${name}'; the environment was removed`
          return { created: true, install, message, success: false, error: install.error }
        }
        await backend.publish(name, buildPrefix)
        await journal.endCreate(name)
        const message = install === null ? `Environment '${name}' created` : `Environment '${name}' created and requirements installed`
        return { created: true, install, message, success: true, error: null }
      } catch (error) {
        await backend.discard(name, buildPrefix)
        await journal.endCreate(name)
        throw error
      }
    })
  }

  /** The contract's EnsureResult, without the fields the build record needed. */
  async function created(result: Promise<EnsureResult & { success: boolean; error: string | null }>): Promise<EnsureResult> {
    const { created, install, message } = await result
    return { created, install, message }
  }

  return {
    kind: backend.kind,

    async exists(name) {
      assertEnvironmentName(name)
      await ready()
      return (await existingPrefix(name)) !== null
    },

    async ensure(name, requirements) {
      assertEnvironmentName(name)
      const parsed = parse(requirements) // refuses bad lines before anything changes
      await ready()
      return withLock(name, async () => {
        const prefix = await existingPrefix(name)
        if (prefix === null) return created(createNew(name, parsed))
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
      assertEnvironmentName(name)
      const parsed = parse(requirements) ?? { requirements: [], lines: [] }
      await ready()
      return withLock(name, async () => {
        const prefix = await existingPrefix(name)
        if (prefix === null) throw envNotFound(name)
        return installGuarded(name, prefix, parsed)
      })
    },

    async runEnvironment(name) {
      assertEnvironmentName(name)
      await ready()
      const prefix = await existingPrefix(name)
      if (prefix === null) throw envNotFound(name)
      return backend.runEnvironment(name, prefix)
    },

    list: listNames,

    async listDetails() {
      const names = await listNames()
      const out: EnvironmentDetails[] = []
      for (const name of names) {
        const prefix = await existingPrefix(name)
        if (prefix !== null) out.push(await detailsOf(name, prefix))
      }
      return out
    },

    async details(name) {
      if (!isEnvironmentName(name)) return null
      await ready()
      const prefix = await existingPrefix(name)
      return prefix === null ? null : detailsOf(name, prefix)
    },

    async diskUsage(name) {
      assertEnvironmentName(name)
      await ready()
      const prefix = await existingPrefix(name)
      if (prefix === null) throw environmentNotFound()
      return directorySize(prefix, backend.snapshotExcludes(name))
    },

    async create(name, requirements, createOptions = {}) {
      assertEnvironmentName(name)
      const parsed = parse(requirements)
      await ready()
      const pythonVersion = createOptions.pythonVersion ?? null
      if (pythonVersion !== null) await assertPythonAvailable(pythonVersion)
      return withLock(name, async () => {
        if ((await existingPrefix(name)) !== null) throw environmentExists(`Environment '${name}' already exists`)
        return created(createNew(name, parsed, pythonVersion, createOptions.action ?? 'create'))
      })
    },

    async pythonVersions() {
      await ready()
      const pythons = await backend.pythons()
      return pythons === null ? null : [...pythons.keys()]
    },

    async uninstall(name, packages) {
      assertEnvironmentName(name)
      for (const p of packages) {
        if (!PACKAGE_NAME.test(p)) {
          throw new TaskyardError('invalid_input', 'Invalid package name', {
            error: `'${p.slice(0, 100)}' is not a package name: to remove a package, give its name alone (no version, path or option)`,
          })
        }
      }
      await ready()
      return withLock(name, async () => {
        const prefix = await existingPrefix(name)
        if (prefix === null) throw environmentNotFound()
        return uninstallFrom(name, prefix, packages)
      })
    },

    async rename(oldName, newName, commit) {
      assertEnvironmentName(oldName)
      assertEnvironmentName(newName)
      if (oldName === 'base') throw environmentProtected('renamed')
      await ready()
      return withLocks(oldName, newName, async () => {
        if ((await existingPrefix(oldName)) === null) throw environmentNotFound()
        // Nothing moves: no journal record, so no id a crash would need.
        if (oldName === newName) return commit('none')
        if ((await backend.prefixOf(newName)) !== null || (await journal.isCreating(newName)))
          throw environmentExists('Cannot rename environment to an existing name')
        // A snapshot is kept under the name: finish its restore before the name changes.
        if (await journal.hasSnapshot(oldName)) await journal.restore(oldName)
        // Journalled first: a crash from here on is settled at start-up by what the store committed.
        const id = await journal.beginRename(oldName, newName)
        try {
          await backend.rename(oldName, newName)
          await journal.pausePoint('rename-moved')
          await commit(id)
        } catch (error) {
          await settle(id, oldName, newName, false)
          throw error
        }
        await journal.pausePoint('rename-committed')
        await journal.endRename(id)
      })
    },

    nodes: () => findNodes(options.pipEnv),

    async pendingRenames() {
      await ready()
      return journal.pendingRenames()
    },

    async settleRename(id, committed) {
      await ready()
      const record = (await journal.pendingRenames()).find((r) => r.id === id)
      if (record === undefined) return
      await withLocks(record.oldName, record.newName, () => settle(id, record.oldName, record.newName, committed))
    },

    async freeze(name) {
      assertEnvironmentName(name)
      await ready()
      const prefix = await existingPrefix(name)
      if (prefix === null) throw environmentNotFound()
      const result = await reading(prefix)(path.join(prefix, 'bin', 'python'), ['-m', 'pip', 'freeze', '--disable-pip-version-check'], { env: options.pipEnv })
      if (result.code !== 0) throw new Error(`pip freeze failed in environment '${name}': ${pipFailureSummary(result.output)}`)
      return result.stdout
    },

    async remove(name) {
      assertEnvironmentName(name)
      if (name === 'base') throw environmentProtected('deleted')
      await ready()
      return withLock(name, async () => {
        if ((await existingPrefix(name)) === null) throw environmentNotFound()
        if (await journal.hasSnapshot(name)) await journal.drop(name)
        await backend.remove(name)
      })
    },
  }
}

/** 000a's words for a rename onto a taken name; a create of a taken name says the same. */
function environmentExists(error: string): TaskyardError {
  return new TaskyardError('environment_exists', 'Environment with this name already exists', { error })
}
