/**
 * Environments as conda environments, where conda is installed. conda lists, creates and removes
 * them; requirements go in with the environment's own `python -m pip`, under the same
 * snapshot rule as venvs. `base` is conda's own base environment.
 */
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { isEnvironmentName } from '../domain/names.ts'
import type { BuildRecorder, Environments } from './environments.ts'
import type { BuildLog } from './build-log.ts'
import type { BuildSandbox } from './build-sandbox.ts'
import { createManagedEnvironments, type EnvironmentBackend } from './managed-environments.ts'
import { runProcess, type ProcessResult } from './run-process.ts'
import { toolEnv } from './tool-env.ts'

export interface CondaEnvironmentsOptions {
  /** The conda executable (see detectConda). */
  condaPath: string
  /** Where snapshots and markers are kept; outside conda's own directories. */
  stateDir: string
  childEnv: Readonly<Record<string, string>>
  allowUnsafeRequirements: boolean
  builds?: BuildRecorder
  pipTimeoutMs?: number | null
  /** Where pip and the environments' interpreters run (build-sandbox.ts); default as the server. */
  sandbox?: BuildSandbox
}

interface CondaInfo {
  rootPrefix: string
  envsDirs: string[]
}

export function createCondaEnvironments(options: CondaEnvironmentsOptions): Environments {
  const env = toolEnv(options.childEnv)
  let info: CondaInfo | null = null

  async function conda(args: readonly string[], log?: BuildLog): Promise<ProcessResult> {
    log?.command('conda', args)
    const result = await runProcess(options.condaPath, args, { env, ...(log ? { onOutput: log.write } : {}) })
    if (result.code !== 0) throw new Error(`conda ${args.join(' ')} failed: ${result.output.trim().slice(-2000)}`)
    return result
  }

  async function condaJson(args: readonly string[]): Promise<Record<string, unknown>> {
    const result = await conda(args)
    try {
      return JSON.parse(result.stdout) as Record<string, unknown>
    } catch {
      throw new Error(`conda ${args.join(' ')} did not print JSON: ${result.stdout.slice(0, 500)}`)
    }
  }

  /** name → prefix. Environments outside conda's envs directories have no name and are left out. */
  async function environments(): Promise<Map<string, string>> {
    const listed = await condaJson(['env', 'list', '--json'])
    const prefixes = Array.isArray(listed.envs) ? listed.envs.filter((p): p is string => typeof p === 'string') : []
    const byName = new Map<string, string>()
    const { rootPrefix, envsDirs } = info!
    for (const prefix of prefixes) {
      const resolved = path.resolve(prefix)
      if (resolved === rootPrefix) {
        byName.set('base', resolved)
        continue
      }
      const name = path.basename(resolved)
      const inEnvsDir = envsDirs.includes(path.dirname(resolved)) || path.basename(path.dirname(resolved)) === 'envs'
      if (inEnvsDir && isEnvironmentName(name) && name !== 'base') byName.set(name, resolved)
    }
    return byName
  }

  const backend: EnvironmentBackend = {
    kind: 'conda',

    async open() {
      const raw = await condaJson(['info', '--json'])
      if (typeof raw.root_prefix !== 'string') throw new Error('conda info --json did not report root_prefix')
      const envsDirs = Array.isArray(raw.envs_dirs) ? raw.envs_dirs.filter((d): d is string => typeof d === 'string') : []
      info = { rootPrefix: path.resolve(raw.root_prefix), envsDirs: envsDirs.map((d) => path.resolve(d)) }
    },

    async ensureBase() {},

    async list() {
      return [...(await environments()).keys()]
    },

    async prefixOf(name) {
      return (await environments()).get(name) ?? null
    },

    // conda environments are not relocatable: built in place, hidden by the journal's creating marker until whole.
    async create(name, pythonVersion, log) {
      await conda(['create', '--yes', '--quiet', '--name', name, pythonVersion === null ? 'python' : `python=${pythonVersion}`], log)
      const prefix = (await environments()).get(name)
      if (prefix === undefined) throw new Error(`conda created environment '${name}' but does not list it`)
      return prefix
    },

    publish: async () => undefined,

    async discard(name) {
      await backend.remove(name)
    },

    // conda fetches whichever Python is asked for: there is no list of what is installed.
    pythons: async () => null,

    async remove(name) {
      if (name === 'base') return // never: base is conda itself
      const prefix = (await environments()).get(name)
      if (prefix === undefined) return
      await conda(['remove', '--yes', '--quiet', '--name', name, '--all'])
      // conda may leave files it did not install (pip's, caches); the prefix is ours to clear.
      await rm(prefix, { recursive: true, force: true })
    },

    // Base's prefix holds every other environment and conda's package cache: those stay as they are.
    snapshotExcludes: (name) => (name === 'base' ? ['envs', 'pkgs'] : []),

    kindOf: () => 'conda',

    async rename(oldName, newName) {
      await conda(['rename', '--name', oldName, newName])
    },

    runEnvironment(name, prefix) {
      return { pathPrefix: [path.join(prefix, 'bin')], env: { CONDA_PREFIX: prefix, CONDA_DEFAULT_ENV: name } }
    },
  }

  return createManagedEnvironments(backend, {
    stateDir: options.stateDir,
    pipEnv: env,
    allowUnsafeRequirements: options.allowUnsafeRequirements,
    ...(options.builds ? { builds: options.builds } : {}),
    pipTimeoutMs: options.pipTimeoutMs ?? null,
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
  })
}
