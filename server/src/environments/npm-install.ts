/**
 * Node.js tasks (issue 9): a task whose files hold a `package.json` and whose command starts
 * with node, npm or npx gets its dependencies installed into its own directory — `npm ci` when
 * a lock file is there (exactly what it pins), `npm install` otherwise — with spec 000's failure
 * reporting: exactly the dependencies at fault, each with npm's explaining line.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { readCommands } from '../domain/shell-words.ts'
import type { BuildSandbox } from './build-sandbox.ts'
import type { InstallResult } from './environments.ts'
import { findExecutable } from './find-executable.ts'
import type { ProcessRunner } from './pip-install.ts'
import { runProcess } from './run-process.ts'

const NODE_COMMANDS = new Set(['node', 'npm', 'npx'])

/** Whether the task is a Node.js one: `package.json` at the top of its files, a node/npm/npx command. */
export function isNodeTask(command: string, files: readonly string[]): boolean {
  if (!files.includes('package.json')) return false
  let first: string | undefined
  try {
    // The program the command line starts with (after any `VAR=value` assignments).
    first = readCommands(command)[0]?.words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w))
  } catch {
    return false
  }
  return first !== undefined && NODE_COMMANDS.has(path.basename(first))
}

export interface NpmInstallOptions {
  /** npm's environment: PATH (where npm and node are), HOME, and the administrator's npm_config_* (registry, cache, offline). */
  env: Readonly<Record<string, string>>
  timeoutMs?: number | null
  onOutput?: (chunk: string) => void
  /** How npm is started (a build sandbox: another account, a mount namespace); default runProcess. */
  run?: ProcessRunner
}

/** The dependencies `package.json` asks for, by name (all kinds npm installs by default). */
async function declaredDependencies(dir: string): Promise<string[]> {
  const raw: unknown = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'))
  const names = new Set<string>()
  if (raw !== null && typeof raw === 'object') {
    for (const key of ['dependencies', 'devDependencies', 'optionalDependencies'] as const) {
      const deps = (raw as Record<string, unknown>)[key]
      if (deps !== null && typeof deps === 'object') for (const name of Object.keys(deps)) names.add(name)
    }
  }
  return [...names]
}

/** npm's `npm error …` lines (npm 7+ says `npm ERR!`), without the prefix and the log-file boilerplate. */
function errorLines(output: string): string[] {
  return output
    .split('\n')
    .map((l) => /^npm (?:error|ERR!)\s?(.*)$/.exec(l.trimEnd())?.[1] ?? null)
    .filter((l): l is string => l !== null && l.trim() !== '')
    .filter((l) => !/^(A complete log of this run can be found in|Log files were not written|You can rerun the command with)/.test(l.trim()))
}

/** Whether an npm error line is about `name` (quoted, as `name@…`, or in a path/URL segment). */
function mentions(line: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  return new RegExp(`(^|[\\s'"\`/])${escaped}(@|['"\`\\s:/]|$)`).test(line)
}

/**
 * Installs the dependencies of `dir`'s package.json into `dir/node_modules`. Lifecycle scripts
 * are not run (`--ignore-scripts`): they would run as the server's user at upload time. Never
 * throws for npm's failures: they are in the result.
 */
export async function npmInstall(dir: string, options: NpmInstallOptions): Promise<InstallResult> {
  const declared = await declaredDependencies(dir).catch((error: unknown) => {
    throw new Error(`package.json cannot be read: ${error instanceof Error ? error.message : String(error)}`)
  })
  const npm = findExecutable('npm', options.env.PATH)
  const fail = (failedPackages: string[], reason: string): InstallResult => ({
    success: false,
    installedPackages: [],
    failedPackages,
    errorDetails: failedPackages.map(() => reason),
    error: reason,
  })
  if (npm === null) return fail(declared.length > 0 ? declared : ['package.json'], 'npm is not installed on this server (not found on PATH)')
  const hasLock = await readFile(path.join(dir, 'package-lock.json')).then(
    () => true,
    () => false,
  )
  const args = [hasLock ? 'ci' : 'install', '--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier']
  const result = await (options.run ?? runProcess)(npm, args, {
    env: options.env,
    cwd: dir,
    timeoutMs: options.timeoutMs ?? null,
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  })
  if (result.code === 0) return { success: true, installedPackages: declared, failedPackages: [], errorDetails: [], error: null }
  if (result.timedOut) return fail(declared, `npm ${args[0]} did not finish in time`)
  const lines = errorLines(result.output)
  const summary = lines.join('\n') || `npm ${args[0]} failed (exit code ${String(result.code)})`
  const blamed = declared.filter((name) => lines.some((l) => mentions(l, name)))
  if (blamed.length === 0) return fail(declared.length > 0 ? declared : ['package.json'], summary)
  return {
    success: false,
    installedPackages: [],
    failedPackages: blamed,
    errorDetails: blamed.map((name) => lines.filter((l) => mentions(l, name)).join('\n')),
    error: summary,
  }
}

/**
 * npmInstall where untrusted code may run: the upload's own `.npmrc` configures npm (its `git`,
 * say, is a program npm starts for a git dependency, `--ignore-scripts` or not), so with an
 * account sandbox npm runs as the run account, seeing of the data directory only the task's
 * staged files and a fresh HOME made under `scratchRoot`, which also holds npm's cache for this
 * install alone: a cache shared between installs would let one upload poison another's
 * dependencies. Without a sandbox (a server that is not root) it is npmInstall as the server.
 */
export async function npmInstallSandboxed(sandbox: BuildSandbox, dir: string, options: NpmInstallOptions, scratchRoot: string): Promise<InstallResult> {
  if (!sandbox.ownAccount) return npmInstall(dir, options)
  const home = await mkdtemp(path.join(scratchRoot, 'npm-home-'))
  try {
    const env = { ...options.env, npm_config_cache: path.join(home, '.npm') }
    const reach = { writable: [dir, home], readOnly: [] }
    return await sandbox.lend([dir, home], () => npmInstall(dir, { ...options, env, run: (file, args, o) => sandbox.run(file, args, o, reach) }))
  } finally {
    await rm(home, { recursive: true, force: true })
  }
}
