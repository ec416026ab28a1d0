import { constants } from 'node:fs'
import fsp, { type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { MAX_ARTIFACTS, type Artifact, type ArtifactDownload, type ArtifactStore, type RunRef } from './artifact-store.ts'

const CHUNK_BYTES = 64 * 1024
/** Deeper folders are not walked: a run cannot make a listing cost unbounded recursion. */
const MAX_DEPTH = 32
const MAX_NAME_LENGTH = 4096

export interface FileArtifactStoreOptions {
  /** The run's output folder ($TASKYARD_OUTPUT_DIR). */
  runDir(run: RunRef): string
  /** The folder holding all of a task's run folders. */
  taskDir(taskId: number): string
}

/** The segments of a well-formed name, or null (empty, absolute, `.`/`..`, NUL, too long). */
function segmentsOf(name: string): string[] | null {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || name.includes('\0')) return null
  const segments = name.split('/')
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return null
  return segments
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/**
 * Artifacts as files in each run's output folder. The run's account owns that folder while it
 * runs and may plant links in it, so nothing here follows one: the walk reads entries with their
 * own type (lstat), and open() takes O_NOFOLLOW and then checks, through /proc/self/fd, that the
 * file it holds is the one the name means — a folder swapped for a link on the way is refused.
 */
export function createFileArtifactStore(options: FileArtifactStoreOptions): ArtifactStore {
  async function list(run: RunRef): Promise<Artifact[]> {
    const root = options.runDir(run)
    const found: Artifact[] = []
    // Depth first in sorted order, sorted once more at the end: the same listing every time.
    const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
      let entries
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true })
      } catch (error) {
        if (isMissing(error)) return
        throw error
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      for (const entry of entries) {
        if (found.length >= MAX_ARTIFACTS) return
        const name = prefix + entry.name
        const full = path.join(dir, entry.name)
        if (entry.isDirectory()) {
          if (depth < MAX_DEPTH) await walk(full, `${name}/`, depth + 1)
        } else if (entry.isFile() && name.length <= MAX_NAME_LENGTH) {
          try {
            const st = await fsp.lstat(full)
            if (st.isFile()) found.push({ name, sizeBytes: st.size, modifiedAt: Math.floor(st.mtimeMs) })
          } catch (error) {
            if (!isMissing(error)) throw error
          }
        }
      }
    }
    await walk(root, '', 0)
    return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).slice(0, MAX_ARTIFACTS)
  }

  return {
    list,

    async count(run) {
      return (await list(run)).length
    },

    async open(run, name) {
      const segments = segmentsOf(name)
      if (!segments) return null
      let root: string
      try {
        root = await fsp.realpath(options.runDir(run))
      } catch (error) {
        if (isMissing(error)) return null
        throw error
      }
      const full = path.join(root, ...segments)
      let handle: FileHandle
      try {
        // O_NONBLOCK: a FIFO opens at once (and is refused below) instead of hanging the request.
        handle = await fsp.open(full, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (isMissing(error) || code === 'ELOOP' || code === 'EISDIR' || code === 'ENXIO') return null
        throw error
      }
      try {
        const st = await handle.stat()
        const held = await fsp.readlink(`/proc/self/fd/${handle.fd}`)
        if (!st.isFile() || held !== full) {
          await handle.close()
          return null
        }
        return download(handle, path.basename(full), st.size)
      } catch (error) {
        await handle.close()
        throw error
      }
    },

    async removeTask(taskId) {
      await fsp.rm(options.taskDir(taskId), { recursive: true, force: true })
    },
  }
}

function download(handle: FileHandle, name: string, size: number): ArtifactDownload {
  let closed: Promise<void> | null = null
  const close = (): Promise<void> => (closed ??= handle.close())
  return {
    name,
    size,
    close,
    async copyTo(write) {
      try {
        // One buffer, reused: each write resolves only once its chunk may be overwritten.
        const buffer = Buffer.allocUnsafeSlow(CHUNK_BYTES)
        let position = 0
        while (position < size) {
          const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK_BYTES, size - position), position)
          if (bytesRead === 0) throw new Error(`the artifact shrank below ${size} bytes while it was sent`)
          position += bytesRead
          await write(buffer.subarray(0, bytesRead))
        }
      } finally {
        await close()
      }
    },
  }
}
