/**
 * The runs on one server whose remote processes are still to be ended (issue 12): a dropped
 * connection or a restart of Taskyard left them unsupervised while the server could not be
 * reached. Kept in a file of the data directory, written before the sweep is first tried and
 * before the run is closed, so neither a restart nor a kill -9 loses one: a run already closed as
 * `abnormal` is seen by no recovery again, and this file is then the only trace of what it left.
 *
 * Synchronous on purpose: written only when a run is lost or orphaned, and removed once swept,
 * never on the path of an ordinary run.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** run id → the run's process group on the server (null when it died before its pid was known). */
export type Sweeps = Map<number, number | null>

const FILE = /^(\d+)\.json$/

export class PendingSweeps {
  #file: string | null
  readonly #sweeps: Sweeps

  /** Without a file (tests, tools) the sweeps live in memory only. */
  constructor(file: string | null) {
    this.#file = file
    this.#sweeps = file === null ? new Map() : readSweeps(file)
  }

  get size(): number {
    return this.#sweeps.size
  }

  entries(): [number, number | null][] {
    return [...this.#sweeps]
  }

  add(runId: number, pgid: number | null): void {
    // A pgid once known is kept: a later call without one (a recovery that found no pid) adds nothing.
    if (this.#sweeps.has(runId) && (pgid === null || this.#sweeps.get(runId) === pgid)) return
    this.#sweeps.set(runId, pgid ?? this.#sweeps.get(runId) ?? null)
    this.#save()
  }

  /** Drops every sweep and the file, for good: nothing is written here after this (a deleted server). */
  discard(): void {
    this.#sweeps.clear()
    if (this.#file !== null) rmSync(this.#file, { force: true })
    this.#file = null
  }

  delete(runId: number): void {
    if (this.#sweeps.delete(runId)) this.#save()
  }

  #save(): void {
    if (this.#file === null) return
    if (this.#sweeps.size === 0) return rmSync(this.#file, { force: true })
    mkdirSync(path.dirname(this.#file), { recursive: true, mode: 0o700 })
    const tmp = `${this.#file}.tmp`
    writeFileSync(tmp, JSON.stringify([...this.#sweeps].map(([runId, pgid]) => ({ runId, pgid }))), { mode: 0o600 })
    // Renamed into place: a crash mid-write leaves the previous list, never half of one.
    renameSync(tmp, this.#file)
  }
}

/** The file of one server's pending sweeps in `dir`. */
export const pendingSweepsFile = (dir: string, serverId: number): string => path.join(dir, `${serverId}.json`)

/** The servers that have a file of pending sweeps in `dir`. */
export function serversWithPendingSweeps(dir: string): number[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names.flatMap((name) => {
    const match = FILE.exec(name)
    return match ? [Number(match[1])] : []
  })
}

function readSweeps(file: string): Sweeps {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return new Map()
  }
  const sweeps: Sweeps = new Map()
  try {
    for (const entry of JSON.parse(text) as { runId: unknown; pgid: unknown }[]) {
      if (!Number.isInteger(entry.runId)) continue
      sweeps.set(entry.runId as number, Number.isInteger(entry.pgid) ? (entry.pgid as number) : null)
    }
  } catch {
    // Not ours to guess at: an unreadable file keeps nothing (it is only ever written whole).
  }
  return sweeps
}
