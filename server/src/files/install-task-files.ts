import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'

/**
 * Replaces `taskDir` whole with `stagingDir` (which must be on the same file system): the old
 * directory is renamed aside, the new one renamed in, the old one removed. A run never sees a
 * mix of old and new files; if the swap fails the old directory is put back and the error thrown.
 */
export async function installTaskFiles(stagingDir: string, taskDir: string): Promise<void> {
  await mkdir(path.dirname(taskDir), { recursive: true })
  const aside = `${taskDir}.old-${randomBytes(6).toString('hex')}`
  let movedAside = false
  try {
    await rename(taskDir, aside)
    movedAside = true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  try {
    await rename(stagingDir, taskDir)
  } catch (error) {
    if (movedAside) await rename(aside, taskDir)
    throw error
  }
  // The new files are in place: failing to delete the old ones must not undo that.
  if (movedAside) await rm(aside, { recursive: true, force: true }).catch(() => {})
}

/** Removes a task's directory and everything in it; a missing directory is fine. */
export async function removeTaskFiles(taskDir: string): Promise<void> {
  await rm(taskDir, { recursive: true, force: true })
}

const ASIDE = /^(\d+)\.old-[0-9a-f]+$/

/**
 * Start-up: finishes what installTaskFiles left when the process died mid-swap. An old directory
 * beside its task's directory is removed; one whose task directory is missing (killed between the
 * two renames, before the commit) is the only copy of the files the database still describes, so
 * it is put back. Returns what it did, for the start-up log.
 */
export async function sweepTaskLeftovers(tasksRoot: string): Promise<{ removed: string[]; restored: string[] }> {
  const names = (await readdir(tasksRoot).catch(() => [] as string[])).sort()
  const removed: string[] = []
  const restored: string[] = []
  for (const name of names) {
    const match = ASIDE.exec(name)
    if (!match) continue
    const taskDir = path.join(tasksRoot, match[1]!)
    const aside = path.join(tasksRoot, name)
    if (!existsSync(taskDir)) {
      await rename(aside, taskDir)
      restored.push(name)
      continue
    }
    await rm(aside, { recursive: true, force: true })
    removed.push(name)
  }
  return { removed, restored }
}
