import { constants, type Dirent } from 'node:fs'
import { lstat, open, readdir, type FileHandle } from 'node:fs/promises'
import { TaskyardError } from '../domain/errors.ts'
import type { Actor } from './auth/record-audit.ts'
import { assertTaskPermission } from './auth/task-permission.ts'
import type { ServiceDeps } from './deps.ts'
import { findTaskOrThrow } from './find-task.ts'

/** The editor opens files up to this size; a bigger one is refused by name, never cut. */
export const MAX_TASK_FILE_READ_BYTES = 1024 * 1024
/** A listing stops here and says it was truncated (a run may have written many files). */
export const MAX_TASK_FILE_ENTRIES = 5000
const MAX_DEPTH = 32
const MAX_PATH_LENGTH = 4096

export type TaskFileType = 'file' | 'directory' | 'symlink' | 'other'

export interface TaskFileEntry {
  /** Relative to the task directory, '/'-separated. */
  path: string
  type: TaskFileType
  /** A file's size (0 for anything else), from lstat: a link is never followed. */
  sizeBytes: number
  /** A file with any execute bit: a save through update-script keeps it executable (extract-zip's rule). */
  executable: boolean
}

export interface TaskFileListing {
  entries: TaskFileEntry[]
  truncated: boolean
}

export interface TaskFileContent {
  path: string
  sizeBytes: number
  bytes: Buffer
}

const invalidPath = (error: string): TaskyardError => new TaskyardError('invalid_input', 'Invalid file path', { error })

/*
 * A task's files may have been written by the task itself (its run account can write its own
 * directory), so nothing in there is trusted: a symlink to the server's database or a FIFO named
 * main.py must not make us read or hang. Every step is taken beneath an open directory descriptor,
 * through /proc/self/fd/<fd>/<name> (Linux's openat), each component with O_NOFOLLOW: no path
 * component is ever resolved by name from the task directory down, so swapping a directory for a
 * symlink between two steps cannot lead outside. O_NONBLOCK keeps a FIFO from blocking the open.
 */
const beneath = (dir: FileHandle, name: string): string => `/proc/self/fd/${dir.fd}/${name}`
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW
const FILE_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK

/** A relative path as the API takes it: '/'-separated names, none empty, '.', '..' or with NUL. */
function pathSegments(relPath: string): string[] {
  if (relPath === '') throw invalidPath('path is empty')
  if (relPath.includes('\0')) throw invalidPath('path contains a NUL byte')
  if (relPath.length > MAX_PATH_LENGTH) throw invalidPath(`path is longer than ${MAX_PATH_LENGTH} characters`)
  if (relPath.startsWith('/')) throw invalidPath('path must be relative to the task directory')
  const segments = relPath.split('/')
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..') throw invalidPath(`path must name files inside the task directory without '.', '..' or empty segments: ${relPath}`)
  }
  return segments
}

async function openTaskDir(deps: Pick<ServiceDeps, 'store' | 'paths'>, taskId: number): Promise<FileHandle | null> {
  await findTaskOrThrow(deps.store, taskId)
  try {
    return await open(deps.paths.taskDir(taskId), DIR_FLAGS)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

function typeOf(d: Dirent): TaskFileType {
  if (d.isSymbolicLink()) return 'symlink'
  if (d.isDirectory()) return 'directory'
  if (d.isFile()) return 'file'
  return 'other'
}

/** Every entry of the task directory, depth first, sorted by path; symlinks are listed, never followed. */
export async function listTaskFiles(deps: Pick<ServiceDeps, 'store' | 'paths'>, actor: Actor, taskId: number): Promise<TaskFileListing> {
  await assertTaskPermission(deps, actor.user, 'read', taskId)
  const root = await openTaskDir(deps, taskId)
  const entries: TaskFileEntry[] = []
  if (!root) return { entries, truncated: false }
  let truncated = false
  const walk = async (dir: FileHandle, prefix: string, depth: number): Promise<void> => {
    const children = (await readdir(beneath(dir, '.'), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const child of children) {
      if (entries.length >= MAX_TASK_FILE_ENTRIES) {
        truncated = true
        return
      }
      const type = typeOf(child)
      const path = prefix + child.name
      const stat = type === 'file' ? await lstat(beneath(dir, child.name)).catch(() => null) : null
      entries.push({ path, type, sizeBytes: stat?.size ?? 0, executable: stat !== null && (stat.mode & 0o111) !== 0 })
      if (type !== 'directory') continue
      if (depth >= MAX_DEPTH) {
        truncated = true
        continue
      }
      const sub = await open(beneath(dir, child.name), DIR_FLAGS).catch(() => null)
      if (!sub) continue // replaced since readdir: listed as it was, not entered
      try {
        await walk(sub, `${path}/`, depth + 1)
      } finally {
        await sub.close()
      }
    }
  }
  try {
    await walk(root, '', 1)
  } finally {
    await root.close()
  }
  return { entries, truncated }
}

/** Why an open beneath the task directory failed, in the user's terms. */
function refusalOf(error: unknown, relPath: string): TaskyardError | null {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT' || code === 'ENOTDIR') return invalidPath(`no such file in the task directory: ${relPath}`)
  if (code === 'ELOOP') return invalidPath(`a symbolic link is never followed: ${relPath}`)
  if (code === 'EISDIR') return invalidPath(`not a regular file: ${relPath}`)
  return null
}

/** A folder on the way; a symlink there fails with ENOTDIR under O_DIRECTORY, so it is told apart by lstat. */
async function openDirBeneath(dir: FileHandle, name: string, relPath: string): Promise<FileHandle> {
  try {
    return await open(beneath(dir, name), DIR_FLAGS)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const isLink =
      code === 'ENOTDIR' &&
      (await lstat(beneath(dir, name)).then(
        (s) => s.isSymbolicLink(),
        () => false,
      ))
    if (isLink) throw invalidPath(`a symbolic link is never followed: ${relPath}`)
    throw error
  }
}

/**
 * One file of the task directory, whole, up to MAX_TASK_FILE_READ_BYTES. Only a regular file with
 * one link is read: a hard link could name a file that lives elsewhere.
 */
export async function readTaskFile(deps: Pick<ServiceDeps, 'store' | 'paths'>, actor: Actor, taskId: number, relPath: string): Promise<TaskFileContent> {
  await assertTaskPermission(deps, actor.user, 'read', taskId)
  const segments = pathSegments(relPath)
  const root = await openTaskDir(deps, taskId)
  if (!root) throw invalidPath(`no such file in the task directory: ${relPath}`)
  const opened: FileHandle[] = [root]
  try {
    let dir = root
    for (const name of segments.slice(0, -1)) {
      dir = await openDirBeneath(dir, name, relPath)
      opened.push(dir)
    }
    const file = await open(beneath(dir, segments.at(-1)!), FILE_FLAGS)
    opened.push(file)
    const stat = await file.stat()
    if (!stat.isFile()) throw invalidPath(`not a regular file: ${relPath}`)
    if (stat.nlink > 1) throw invalidPath(`a file with more than one hard link is not read: ${relPath}`)
    if (stat.size > MAX_TASK_FILE_READ_BYTES) {
      throw invalidPath(`file is ${stat.size} bytes; the editor opens files up to ${MAX_TASK_FILE_READ_BYTES} bytes: ${relPath}`)
    }
    const buffer = Buffer.alloc(stat.size)
    const { bytesRead } = await file.read(buffer, 0, stat.size, 0)
    return { path: relPath, sizeBytes: bytesRead, bytes: buffer.subarray(0, bytesRead) }
  } catch (error) {
    throw refusalOf(error, relPath) ?? error
  } finally {
    for (const h of opened.reverse()) await h.close()
  }
}
