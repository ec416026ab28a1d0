/**
 * Where an environment's own code runs (issue 9): pip executes untrusted code (a package's
 * setup.py or build backend), and an environment's interpreter runs its site-packages' .pth files
 * whenever it starts (inspection, freeze, uninstall). When the server is root, all of that runs as
 * the unprivileged run account, and where the machine can build mount namespaces, with the data
 * directory hidden except the directories the step may write — the same isolation runs get
 * (executor/local/isolation.ts). The directories pip writes are lent to the account for the step
 * and given back to the server after it, so an environment stays the server's between builds.
 *
 * When the server is not root it cannot switch accounts: builds run as the server's own user and
 * can read what it can (NO_SANDBOX), as runs then do.
 */
import { chmod, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { runProcess, type ProcessResult, type RunProcessOptions } from './run-process.ts'

export interface BuildSandbox {
  /** One line for start-up: who builds run as, and what they see. */
  readonly description: string
  /** Builds run as another account than the server's (false: as the server itself). */
  readonly ownAccount: boolean
  /** Gives `dirs` (whole trees) to the build account for `fn`, and back to the server after it, whatever happens. */
  lend<T>(dirs: readonly string[], fn: () => Promise<T>): Promise<T>
  /**
   * runProcess as the build account, seeing of the data directory only `reach.writable` (the last
   * one is its HOME and TMPDIR) and `reach.readOnly`.
   */
  run(file: string, args: readonly string[], options: RunProcessOptions, reach: BuildReach): Promise<ProcessResult>
}

export interface BuildReach {
  writable: readonly string[]
  readOnly: readonly string[]
}

/** Builds run as the server itself (it is not root, or TASKYARD_RUN_AS=server). */
export const NO_SANDBOX: BuildSandbox = {
  description: "environment builds run as this server's own user",
  ownAccount: false,
  lend: (_dirs, fn) => fn(),
  run: (file, args, options) => runProcess(file, args, options),
}

export interface AccountSandboxOptions {
  account: { name: string; uid: number; gid: number }
  /** The server's own ids: what lent directories are given back to. */
  server: { uid: number; gid: number }
  /** Hidden from builds (the data directory); null = no mount namespace here, the account alone protects. */
  hidden: readonly string[] | null
  /** The data directory: without a mount namespace, the directories above a lent one are made traversable (o+x) up to it. */
  dataDir: string
  /** The mount-namespace wrapper (executor/local/isolation.ts), when `hidden` is given. */
  wrap:
    | ((
        argv: readonly string[],
        isolation: { hidden: string[]; writable: string[]; readOnly: string[] },
        runAs: { uid: number; gid: number },
        env: Record<string, string>,
      ) => { argv: string[]; env: Record<string, string> })
    | null
  /** The setpriv that drops to the account when there is no mount namespace. */
  setpriv: string
  /** Gives a tree to uid:gid without following symlinks (files/secure-data-dir.ts chownTree). */
  chownTree(dir: string, uid: number, gid: number): Promise<void>
}

export function createAccountSandbox(options: AccountSandboxOptions): BuildSandbox {
  const { account, server } = options
  const runAs = { uid: account.uid, gid: account.gid }
  const isolated = options.hidden !== null && options.wrap !== null
  return {
    description: isolated
      ? `environment builds and package installs run as ${account.name} (uid ${account.uid}) in a mount namespace that hides the data directory except the environment being built`
      : `environment builds and package installs run as ${account.name} (uid ${account.uid}); no mount namespace here, the data directory's modes keep it out`,
    ownAccount: true,

    async lend(dirs, fn) {
      for (const dir of dirs) {
        if (!isolated) await traversable(path.dirname(dir), options.dataDir)
        await options.chownTree(dir, account.uid, account.gid)
      }
      try {
        return await fn()
      } finally {
        for (const dir of dirs) await options.chownTree(dir, server.uid, server.gid).catch(() => undefined)
      }
    },

    async run(file, args, runOptions, reach) {
      const env = { ...runOptions.env }
      const home = reach.writable.at(-1)
      // The account's HOME and temporary files go where it may write, never the server's.
      if (home !== undefined) Object.assign(env, { HOME: home, TMPDIR: home, XDG_CACHE_HOME: path.join(home, '.cache') })
      if (!isolated) {
        const argv = ['--reuid', String(account.uid), '--regid', String(account.gid), '--clear-groups', '--', file, ...args]
        return runProcess(options.setpriv, argv, { ...runOptions, env })
      }
      const hidden = [...options.hidden!]
      const readOnly = [...reach.readOnly]
      // An interpreter under a directory the account cannot enter (pyenv under /root): that
      // directory is hidden too and the interpreter's installation bound back, read-only.
      const installation = await interpreterInstallation(file)
      if (installation !== null) {
        const blocked = await unsearchableAncestor(installation)
        if (blocked !== null) {
          hidden.push(blocked)
          readOnly.push(installation)
        }
      }
      // The wrapper may keep some variables from its own root process (the Perl helper's PERL*)
      // and hand them back to the command.
      const wrapped = options.wrap!([file, ...args], { hidden: outermost(hidden), writable: [...reach.writable], readOnly }, runAs, env)
      return runProcess(wrapped.argv[0]!, wrapped.argv.slice(1), { ...runOptions, env: wrapped.env })
    },
  }
}

/** Lets others traverse (never list) `dir` and the directories above it, up to and without `top`. */
async function traversable(dir: string, top: string): Promise<void> {
  for (let d = path.resolve(dir); d !== path.resolve(top) && d.startsWith(path.resolve(top) + path.sep); d = path.dirname(d)) {
    const st = await stat(d)
    if ((st.mode & 0o001) === 0) await chmod(d, (st.mode & 0o7777) | 0o001)
  }
}

/** sys.prefix of the interpreter `file` leads to (…/bin/python → …), or null when it is not one. */
async function interpreterInstallation(file: string): Promise<string | null> {
  const real = await realpath(file).catch(() => null)
  if (real === null || path.basename(path.dirname(real)) !== 'bin') return null
  return path.dirname(path.dirname(real))
}

/** The outermost directory above `dir` that other users cannot traverse, or null. */
async function unsearchableAncestor(dir: string): Promise<string | null> {
  let found: string | null = null
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const st = await stat(d).catch(() => null)
    if (st !== null && (st.mode & 0o001) === 0) found = d
    if (d === path.dirname(d)) return found
  }
}

/** Hidden directories inside another hidden one are covered by it already (and could not be mounted on). */
function outermost(dirs: readonly string[]): string[] {
  const unique = [...new Set(dirs.map((d) => path.resolve(d)))]
  return unique.filter((d) => !unique.some((o) => o !== d && d.startsWith(o + path.sep)))
}
