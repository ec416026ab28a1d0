/**
 * Environments as venvs under `envsDir` (where there is no conda). `base` is a venv too, made
 * with --system-site-packages --without-pip: runs see the system's packages and its pip, and
 * installs into base land in the venv, never in the system Python.
 */
import { randomUUID } from 'node:crypto'
import { access, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { isEnvironmentName } from '../domain/names.ts'
import type { BuildLog } from './build-log.ts'
import type { BuildSandbox } from './build-sandbox.ts'
import type { BuildRecorder, Environments } from './environments.ts'
import { findExecutable, isExecutableFile } from './find-executable.ts'
import { findPythons } from './find-pythons.ts'
import { createManagedEnvironments, type EnvironmentBackend } from './managed-environments.ts'
import { runProcess } from './run-process.ts'
import { toolEnv } from './tool-env.ts'

export interface VenvEnvironmentsOptions {
  /** One directory per environment; `.taskyard/` inside holds snapshots and markers. */
  envsDir: string
  /** The interpreter behind every venv; null = `python3` on childEnv's PATH, shims resolved. */
  pythonPath: string | null
  /** What pip and venv run with: PATH and the PIP_* settings among it. */
  childEnv: Readonly<Record<string, string>>
  allowUnsafeRequirements: boolean
  builds?: BuildRecorder
  pipTimeoutMs?: number | null
  /** Where pip and the environments' interpreters run (build-sandbox.ts); default as the server. */
  sandbox?: BuildSandbox
}

/** The journal's directory inside envsDir (also with conda): no environment can have this name. */
export const STATE_DIR_NAME = '.taskyard'

export function createVenvEnvironments(options: VenvEnvironmentsOptions): Environments {
  const env = toolEnv(options.childEnv)
  const envsDir = path.resolve(options.envsDir)
  const dirOf = (name: string) => path.join(envsDir, name)
  const stateDir = path.join(envsDir, STATE_DIR_NAME)
  let interpreter: string | null = null

  async function venv(args: readonly string[], what: string, python: string = interpreter!, log?: BuildLog): Promise<void> {
    log?.command(python, ['-m', 'venv', ...args])
    const result = await runProcess(python, ['-m', 'venv', ...args], { env, ...(log ? { onOutput: log.write } : {}) })
    if (result.code !== 0) throw new Error(`Could not create ${what} with ${python} -m venv: ${result.output.trim().slice(-2000)}`)
  }

  const backend: EnvironmentBackend = {
    kind: 'venv',

    async open() {
      interpreter = await resolveInterpreter(options.pythonPath, env)
    },

    async ensureBase() {
      const base = dirOf('base')
      const record = path.join(stateDir, 'base-python')
      const madeWith = await readFile(record, 'utf8').catch(() => null)
      // A base made from another interpreter (the configured one changed, or was removed) is remade.
      if (madeWith === interpreter && (await isVenv(base))) return
      await rm(base, { recursive: true, force: true })
      await venv(['--system-site-packages', '--without-pip', base], "the 'base' environment")
      await mkdir(stateDir, { recursive: true })
      await writeFile(record, interpreter!)
    },

    async list() {
      const names: string[] = []
      for (const entry of await readdir(envsDir, { withFileTypes: true })) {
        if (entry.isDirectory() && isEnvironmentName(entry.name) && (await isVenv(dirOf(entry.name)))) names.push(entry.name)
      }
      return names
    },

    async prefixOf(name) {
      return (await isVenv(dirOf(name))) ? dirOf(name) : null
    },

    // Built in the journal's tmp/ (emptied at start-up: a crash leaves nothing that lists), then
    // renamed into place whole by publish.
    async create(name, pythonVersion, log) {
      const python = pythonVersion === null ? interpreter! : (await findPythons(env)).get(pythonVersion)
      if (python === undefined) throw new Error(`Python ${pythonVersion} is no longer installed`)
      const buildDir = path.join(stateDir, 'tmp', `build-${randomUUID()}`)
      await mkdir(buildDir, { recursive: true })
      const prefix = path.join(buildDir, name)
      await venv([prefix], `environment '${name}'`, python, log)
      return prefix
    },

    async publish(name, buildPrefix) {
      await moveVenv(buildPrefix, dirOf(name), `create environment '${name}'`)
      await rm(path.dirname(buildPrefix), { recursive: true, force: true })
    },

    async discard(_name, buildPrefix) {
      if (buildPrefix !== null) await rm(path.dirname(buildPrefix), { recursive: true, force: true })
    },

    pythons: () => findPythons(env),

    async remove(name) {
      // Moved out of sight first (tmp/ is emptied at start-up): never a half-deleted venv that lists.
      const trash = path.join(stateDir, 'tmp', `trash-${randomUUID()}`)
      await mkdir(path.dirname(trash), { recursive: true })
      try {
        await rename(dirOf(name), trash)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
        throw error
      }
      await rm(trash, { recursive: true, force: true })
    },

    snapshotExcludes: () => [],

    kindOf: (name) => (name === 'base' ? 'system' : 'venv'),

    async rename(oldName, newName) {
      await moveVenv(dirOf(oldName), dirOf(newName), `rename environment '${oldName}'`)
    },

    async finishRename(oldName, newName) {
      await repointScripts(path.join(dirOf(newName), 'bin'), dirOf(oldName), dirOf(newName))
    },

    runEnvironment(_name, prefix) {
      return { pathPrefix: [path.join(prefix, 'bin')], env: { VIRTUAL_ENV: prefix } }
    },
  }

  return createManagedEnvironments(backend, {
    stateDir,
    pipEnv: env,
    allowUnsafeRequirements: options.allowUnsafeRequirements,
    ...(options.builds ? { builds: options.builds } : {}),
    pipTimeoutMs: options.pipTimeoutMs ?? null,
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
  })
}

/**
 * The real interpreter: the configured one, else what `python3` on PATH reports as
 * sys.executable — so a pyenv shim is asked once and never run again.
 */
export async function resolveInterpreter(pythonPath: string | null, env: Readonly<Record<string, string>>): Promise<string> {
  if (pythonPath !== null) {
    if (!isExecutableFile(pythonPath)) throw new Error(`TASKYARD_PYTHON is '${pythonPath}', which is not an executable file`)
    return pythonPath
  }
  const found = findExecutable('python3', env.PATH)
  if (found === null) throw new Error('No python3 on PATH: install Python 3 or set TASKYARD_PYTHON to an interpreter')
  const asked = await runProcess(found, ['-c', 'import sys; print(sys.executable)'], { env })
  const reported = asked.stdout.trim()
  if (asked.code === 0 && path.isAbsolute(reported) && isExecutableFile(reported)) return reported
  return found
}

/** Moves a venv (one rename(2)) and points its scripts at the new place. */
async function moveVenv(from: string, to: string, what: string): Promise<void> {
  // rename(2) would replace an empty directory in the way: anything there is refused instead.
  if (
    await lstat(to).then(
      () => true,
      () => false,
    )
  )
    throw new Error(`Cannot ${what}: '${to}' already exists and is not an environment`)
  await rename(from, to)
  await repointScripts(path.join(to, 'bin'), from, to)
}

/**
 * A venv's scripts name its directory (console scripts' `#!…/bin/python`, `activate`'s
 * VIRTUAL_ENV): after a rename they are pointed at the new one. `python` itself is a symlink
 * to the interpreter and finds its venv from where it is, so it never needs this.
 */
async function repointScripts(binDir: string, from: string, to: string): Promise<void> {
  const old = new RegExp(String.raw`${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=[/'"\s:]|$)`, 'gm')
  for (const entry of await readdir(binDir, { withFileTypes: true })) {
    if (!entry.isFile()) continue
    const file = path.join(binDir, entry.name)
    const st = await lstat(file)
    if (st.size > 1024 * 1024) continue // a binary, not a script
    const text = await readFile(file, 'latin1')
    if (!text.includes(from)) continue
    await writeFile(file, text.replace(old, to), { encoding: 'latin1', mode: st.mode })
  }
}

async function isVenv(dir: string): Promise<boolean> {
  try {
    await access(path.join(dir, 'pyvenv.cfg'))
    return isExecutableFile(path.join(dir, 'bin', 'python'))
  } catch {
    return false
  }
}
