/**
 * What makes installs all-or-nothing across crashes: snapshots of environments being changed and
 * markers of environments being created, kept on disk under a state directory:
 *
 *   snapshots/<name>/meta.json   where the environment lives and what the copy leaves out
 *   snapshots/<name>/env/        the copy, complete (it is renamed here only once whole)
 *   creating/<name>              an environment being made: half-made ones are removed
 *   renaming/<id>.json           a rename begun and not settled: whether its tasks' transaction
 *                                committed decides, at start-up, which name the directory keeps
 *   pause-at-<point>             (tests) the server waits at <point> while this file exists
 *   tmp/                         scratch; whatever is here at start-up is garbage
 *
 * A snapshot is restored by copying, never by renaming, so restoring can be interrupted and
 * redone any number of times, and the state directory may be on another file system.
 */
import { randomUUID } from 'node:crypto'
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'

export interface EnvJournal {
  /** Restores every leftover snapshot, removes every half-made environment, empties tmp/. */
  recover(removeEnvironment: (name: string) => Promise<void>): Promise<void>
  beginCreate(name: string): Promise<void>
  endCreate(name: string): Promise<void>
  isCreating(name: string): Promise<boolean>
  /** Copies `prefix` aside, except its top-level entries named in `exclude`. */
  snapshot(name: string, prefix: string, exclude: readonly string[]): Promise<void>
  /** True while a snapshot of `name` is kept: its last change was not finished, or not undone. */
  hasSnapshot(name: string): Promise<boolean>
  /** Puts the environment back exactly as snapshotted, then forgets the snapshot. */
  restore(name: string): Promise<void>
  /** Forgets the snapshot: the change is kept. */
  drop(name: string): Promise<void>
  /** A new empty directory for scratch files; the caller removes it. */
  scratchDir(): Promise<string>
  /** Records a rename about to happen; answers its id (the tasks' transaction records it too). */
  beginRename(oldName: string, newName: string): Promise<string>
  endRename(id: string): Promise<void>
  /** Renames begun and never ended: a crash came between the directory and the tasks. */
  pendingRenames(): Promise<RenameRecord[]>
  /**
   * An injected pause point for crash tests: while `pause-at-<point>` exists in the state
   * directory (which only the server's account can write), writes `paused-at-<point>` and waits.
   */
  pausePoint(point: string): Promise<void>
}

export interface RenameRecord {
  id: string
  oldName: string
  newName: string
  /** Wall-clock ms when it began. */
  at: number
}

interface SnapshotMeta {
  prefix: string
  exclude: string[]
}

const COPY = { recursive: true, verbatimSymlinks: true, preserveTimestamps: true, force: false, errorOnExist: true } as const

export function createEnvJournal(stateDir: string): EnvJournal {
  const snapshots = path.join(stateDir, 'snapshots')
  const creating = path.join(stateDir, 'creating')
  const tmp = path.join(stateDir, 'tmp')
  const renaming = path.join(stateDir, 'renaming')
  const ensureDirs = () => Promise.all([snapshots, creating, tmp, renaming].map((d) => mkdir(d, { recursive: true })))
  // The creating markers as this process knows them: it is the only one writing this data
  // directory (its lock), so the files are the crash record and this set answers isCreating,
  // which every run's environment lookup asks (issue 10: a readFile per run).
  const creatingNow = new Set<string>()

  /** Renaming first makes removal atomic: a half-deleted snapshot is never mistaken for a whole one. */
  async function discard(dir: string): Promise<void> {
    const trash = path.join(tmp, `trash-${randomUUID()}`)
    try {
      await rename(dir, trash)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
    await rm(trash, { recursive: true, force: true })
  }

  const journal: EnvJournal = {
    async recover(removeEnvironment) {
      await ensureDirs()
      await rm(tmp, { recursive: true, force: true })
      await mkdir(tmp)
      for (const name of await readdir(snapshots)) await journal.restore(name)
      for (const name of await readdir(creating)) {
        creatingNow.add(name)
        await removeEnvironment(name)
        await journal.endCreate(name)
      }
    },

    async beginCreate(name) {
      await ensureDirs()
      await writeFile(path.join(creating, name), '')
      creatingNow.add(name)
    },

    async endCreate(name) {
      await rm(path.join(creating, name), { force: true })
      creatingNow.delete(name)
    },

    isCreating(name) {
      return Promise.resolve(creatingNow.has(name))
    },

    async snapshot(name, prefix, exclude) {
      await ensureDirs()
      const target = path.join(snapshots, name)
      const work = path.join(tmp, `snapshot-${randomUUID()}`)
      await mkdir(work)
      const root = path.resolve(prefix)
      const meta: SnapshotMeta = { prefix: root, exclude: [...exclude] }
      await writeFile(path.join(work, 'meta.json'), JSON.stringify(meta))
      const excluded = new Set(exclude.map((e) => path.join(root, e)))
      await cp(root, path.join(work, 'env'), { ...COPY, filter: (src) => !excluded.has(path.resolve(src)) })
      await rename(work, target)
    },

    async hasSnapshot(name) {
      try {
        await readFile(path.join(snapshots, name, 'meta.json'))
        return true
      } catch {
        return false
      }
    },

    async restore(name) {
      const dir = path.join(snapshots, name)
      const meta = JSON.parse(await readFile(path.join(dir, 'meta.json'), 'utf8')) as SnapshotMeta
      await mkdir(meta.prefix, { recursive: true })
      for (const entry of await readdir(meta.prefix)) {
        if (!meta.exclude.includes(entry)) await rm(path.join(meta.prefix, entry), { recursive: true, force: true })
      }
      const copy = path.join(dir, 'env')
      for (const entry of await readdir(copy)) await cp(path.join(copy, entry), path.join(meta.prefix, entry), COPY)
      await discard(dir)
    },

    async drop(name) {
      await discard(path.join(snapshots, name))
    },

    async scratchDir() {
      await ensureDirs()
      const dir = path.join(tmp, `work-${randomUUID()}`)
      await mkdir(dir)
      return dir
    },

    async beginRename(oldName, newName) {
      await ensureDirs()
      const record: RenameRecord = { id: randomUUID(), oldName, newName, at: Date.now() }
      const file = path.join(renaming, `${record.id}.json`)
      // Written aside and renamed: a record is whole or absent, never half.
      await writeFile(`${file}.tmp`, JSON.stringify(record))
      await rename(`${file}.tmp`, file)
      return record.id
    },

    async endRename(id) {
      await rm(path.join(renaming, `${id}.json`), { force: true })
    },

    async pendingRenames() {
      const records: RenameRecord[] = []
      for (const entry of await readdir(renaming).catch(() => [] as string[])) {
        if (entry.endsWith('.json')) records.push(JSON.parse(await readFile(path.join(renaming, entry), 'utf8')) as RenameRecord)
      }
      return records.sort((a, b) => a.at - b.at)
    },

    async pausePoint(point) {
      const gate = path.join(stateDir, `pause-at-${point}`)
      if (!(await exists(gate))) return
      await writeFile(path.join(stateDir, `paused-at-${point}`), String(process.pid))
      while (await exists(gate)) await new Promise((r) => setTimeout(r, 20))
    },
  }
  return journal
}

async function exists(file: string): Promise<boolean> {
  try {
    await readFile(file)
    return true
  } catch {
    return false
  }
}
