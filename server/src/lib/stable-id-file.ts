import { randomUUID } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'

/**
 * The id kept in `file`, created on first use: the same after every restart, so what a process
 * wrote under it (e.g. a run's worker id) is recognised by its successor. Callers hold a lock
 * that keeps a second process from creating it at the same time.
 */
export async function loadOrCreateIdFile(file: string, prefix: string): Promise<string> {
  try {
    const id = (await readFile(file, 'utf8')).trim()
    if (id !== '') return id
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const id = `${prefix}${randomUUID()}`
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, `${id}\n`, { mode: 0o600 })
  await rename(tmp, file)
  return id
}
