/**
 * The data directory's permissions (issue 6). Runs get another account when the server is root,
 * so the tree is laid out for it: they may traverse to their own task directory, output folder and
 * the environments, and reach nothing else. Other local users get the same: nothing readable.
 *
 *   data/            0711  traversable, not listable
 *   ├── *            0600  database, WAL/SHM, secret.key, secret-seal.key, admin-password.txt, lock files
 *   ├── tasks/       0711  └── <id>/ 0700: the server's between runs, the run account's during one
 *   ├── outputs/     0711  └── <task>/ 0700 (as tasks/<id>) └── <run>/ 0700, the run account's
 *   ├── envs/        0755  environments: read and executed by runs  (└── .taskyard/ 0700)
 *   └── logs/ staging/ uploads/  0700
 */
import { execFile } from 'node:child_process'
import { chmod, lchown, lstat, mkdir, open, readdir } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import type { DataPaths } from '../lib/paths.ts'

const exec = promisify(execFile)

export const DATA_DIR_MODES = {
  root: 0o711,
  tasks: 0o711,
  taskDir: 0o700,
  outputs: 0o711,
  taskOutputs: 0o700,
  runOutput: 0o700,
  envs: 0o755,
  envsState: 0o700,
  private: 0o700,
  privateFile: 0o600,
} as const

async function ensureDir(dir: string, mode: number): Promise<void> {
  await mkdir(dir, { recursive: true, mode })
  // mkdir's mode is filtered by the umask and ignored for a directory that exists: state it outright.
  await chmod(dir, mode)
}

async function entries(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

async function chmodIfExists(file: string, mode: number): Promise<void> {
  try {
    await chmod(file, mode)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

/** SQLite's companions of a database file, which it creates with the database file's mode. */
export function sqliteFiles(dbFile: string): string[] {
  return [dbFile, `${dbFile}-wal`, `${dbFile}-shm`, `${dbFile}-journal`]
}

/**
 * Creates the tree with these modes and fixes an existing install's: called at every start, before
 * anything else writes. `privateFiles` are kept 0600 wherever they are (a SQLite database outside
 * the data directory).
 */
export async function secureDataDir(paths: DataPaths, privateFiles: readonly string[] = []): Promise<void> {
  const M = DATA_DIR_MODES
  await ensureDir(paths.root, M.root)
  await Promise.all([
    ensureDir(paths.tasksDir, M.tasks),
    ensureDir(paths.outputsDir, M.outputs),
    ensureDir(paths.envsDir, M.envs),
    ensureDir(paths.logsDir, M.private),
    ensureDir(paths.stagingRoot, M.private),
    ensureDir(paths.uploadsDir, M.private),
  ])
  for (const entry of await entries(paths.root)) {
    if (entry.isFile()) await chmod(path.join(paths.root, entry.name), M.privateFile)
  }
  // Runs a crash interrupted left their folders with the run account: take them back.
  const owner = { uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 }
  for (const [dir, mode] of [
    [paths.tasksDir, M.taskDir],
    [paths.outputsDir, M.taskOutputs],
  ] as const) {
    for (const entry of await entries(dir)) {
      if (!entry.isDirectory()) continue
      const child = path.join(dir, entry.name)
      await chmod(child, mode)
      if (owner.uid === 0) await lchown(child, owner.uid, owner.gid)
    }
  }
  await chmodIfExists(path.join(paths.envsDir, '.taskyard'), M.envsState)
  await securePrivateFiles(privateFiles)
}

/** Sets 0600 on those of `files` that exist (a database's WAL and SHM appear once it is open). */
export async function securePrivateFiles(files: readonly string[]): Promise<void> {
  for (const file of files) await chmodIfExists(file, DATA_DIR_MODES.privateFile)
}

/** Creates `file` empty with mode 0600 unless it exists, so what is written into it later is private from the start. */
export async function createPrivateFile(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  const handle = await open(file, 'a', DATA_DIR_MODES.privateFile)
  await handle.close()
}

/**
 * Gives what is under `dir` (and `dir` itself, last) to uid:gid: every entry owned by someone else,
 * symlinks themselves and never their targets, and never a file with other links (a hard link
 * planted by an earlier run must not hand over a server file).
 *
 * Done in-process (issue 10: a `find … -execdir chown` child process per run was a fork of the
 * whole server) when a read-only walk shows that no one but the server can change the tree meanwhile:
 * every directory in it is the server's and writable by no one else. Then nothing can be renamed or
 * swapped for a symlink under the walk, and the entries are handed over children first, so a
 * directory becomes the account's only once nothing below it is left to do. The walk finds
 * nothing to hand over when the tree already belongs to the account (a task's later runs: its
 * contents stay the account's between runs, only `dir` goes back to the server).
 *
 * Otherwise — some directory already belongs to the account (a file the server added to a folder
 * a run made) — find(1) does it: it walks without following symlinks and -execdir changes each
 * name from inside its own directory, so a process of the account that swaps a directory for a
 * symlink meanwhile (a survivor of an earlier run) cannot steer the walk out of the tree.
 */
export async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  const plan = await planChownTree(dir, uid, gid)
  if (plan.inProcess) for (const entry of plan.entries) await lchown(entry, uid, gid)
  else if (plan.entries.length > 0) await chownTreeWithFind(dir, uid, gid)
  await lchown(dir, uid, gid)
}

export interface ChownPlan {
  /** What is under the directory and must be handed over, children before their directory. */
  entries: string[]
  /** Every directory of the tree is the server's and writable by it alone: lchown by path is safe. */
  inProcess: boolean
}

/** The read-only walk of chownTree: lstat of every entry, symlinks never followed. */
export async function planChownTree(dir: string, uid: number, gid: number): Promise<ChownPlan> {
  const server = process.getuid?.() ?? -1
  const entries: string[] = []
  let inProcess = true
  const ownedByServerAlone = (s: { uid: number; mode: number }): boolean => s.uid === server && (s.mode & 0o022) === 0
  const needs = (s: { uid: number; gid: number }): boolean => s.uid !== uid || s.gid !== gid
  const walk = async (directory: string): Promise<void> => {
    const names = await readdir(directory)
    const stats = await Promise.all(names.map(async (name) => ({ file: path.join(directory, name), stat: await lstat(path.join(directory, name)) })))
    for (const { file, stat } of stats) {
      if (stat.isDirectory()) {
        if (!ownedByServerAlone(stat)) inProcess = false
        await walk(file)
        if (needs(stat)) entries.push(file)
      } else if ((stat.isSymbolicLink() || stat.nlink === 1) && needs(stat)) {
        entries.push(file)
      }
    }
  }
  if (!ownedByServerAlone(await lstat(dir))) inProcess = false
  await walk(dir)
  return { entries, inProcess }
}

async function chownTreeWithFind(dir: string, uid: number, gid: number): Promise<void> {
  const owner = `${uid}:${gid}`
  await exec(
    'find',
    [
      '-P',
      dir,
      '-mindepth',
      '1',
      '(',
      '-type',
      'd',
      '-o',
      '-type',
      'l',
      '-o',
      '-links',
      '1',
      ')',
      '(',
      '!',
      '-uid',
      String(uid),
      '-o',
      '!',
      '-gid',
      String(gid),
      ')',
      '-execdir',
      'chown',
      '-h',
      owner,
      '{}',
      '+',
    ],
    {
      timeout: 600_000,
      // find refuses -execdir with a relative PATH entry; the server's PATH is not find's business.
      env: { PATH: '/usr/bin:/bin' },
    },
  )
}

export interface RunDirs {
  taskDir: string
  taskOutputsDir: string
  outputDir: string
  /** The run's account; null = the server's own (nothing to give away). */
  account: { uid: number; gid: number } | null
}

/**
 * Before a run starts: its output folder exists, and the task directory and the task's output
 * folders belong to the run's account. Between runs both belong to the server (releaseRunDirs),
 * so runs of other tasks under the same account cannot enter them, and the walk here cannot race
 * a run: only the top directory is handed over last.
 */
export async function prepareRunDirs(dirs: RunDirs): Promise<void> {
  const account = dirs.account
  // Issue 10: the two trees are independent, so their steps overlap (one file-system round trip
  // after another was ~10 waits before each spawn); within each the order stays as it was.
  await allSettled([
    (async () => {
      await ensureDir(dirs.taskOutputsDir, DATA_DIR_MODES.taskOutputs)
      await ensureDir(dirs.outputDir, DATA_DIR_MODES.runOutput)
      if (!account) return
      await lchown(dirs.outputDir, account.uid, account.gid)
      await lchown(dirs.taskOutputsDir, account.uid, account.gid)
    })(),
    (async () => {
      await chmod(dirs.taskDir, DATA_DIR_MODES.taskDir)
      if (account) await chownTree(dirs.taskDir, account.uid, account.gid)
    })(),
  ])
}

/** After a run: the task's folders go back to the server (their contents stay the run's). */
export async function releaseRunDirs(dirs: Pick<RunDirs, 'taskDir' | 'taskOutputsDir'>, server: { uid: number; gid: number }): Promise<void> {
  await allSettled(
    [dirs.taskDir, dirs.taskOutputsDir].map(async (dir) => {
      try {
        await lchown(dir, server.uid, server.gid)
      } catch (error) {
        // A task deleted meanwhile has nothing left to release.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      }
    }),
  )
}

/**
 * Waits for every step, then throws the first failure: a step still under way when a failed run
 * is released would hand a folder to the account after the release gave it back.
 */
async function allSettled(steps: Promise<void>[]): Promise<void> {
  for (const result of await Promise.allSettled(steps)) if (result.status === 'rejected') throw result.reason
}
