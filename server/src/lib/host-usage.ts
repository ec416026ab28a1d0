/**
 * What the host and a few process groups use, read from /proc (Linux). Readers tolerate processes
 * vanishing between the listing and the read: a missing entry is skipped, never an error.
 */
import fsp from 'node:fs/promises'
import os from 'node:os'
import { isLive, readProcTable, type ProcStat } from './proc-table.ts'

/** USER_HZ: proc(5) times are in these ticks; 100 on every Linux that Node supports. */
const TICKS_PER_SECOND = 100
const PAGE_BYTES = 4096

export interface ProcessUsage {
  pid: number
  ppid: number
  pgrp: number
  /** One letter: R running, S sleeping, T stopped, D uninterruptible (also a frozen cgroup), Z zombie… */
  state: string
  name: string
  command: string
  /** Share of one CPU over the sampling window, in percent (may exceed 100 for threaded programs). */
  cpuPercent: number
  rssBytes: number
}

/** The processes of the given groups, by pid. */
async function readSamples(pgids: ReadonlySet<number>): Promise<Map<number, ProcStat>> {
  const found = new Map<number, ProcStat>()
  for (const entry of await readProcTable()) if (pgids.has(entry.pgrp)) found.set(entry.pid, entry)
  return found
}

async function readCommand(pid: number, fallback: string): Promise<string> {
  try {
    const raw = await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8')
    const cmd = raw
      .split('\0')
      .filter((a) => a !== '')
      .join(' ')
    return cmd === '' ? fallback : cmd.slice(0, 500)
  } catch {
    return fallback
  }
}

/**
 * The live processes of the given process groups, with CPU measured over `windowMs` (two reads
 * of /proc that far apart) and resident memory at the second read.
 */
export async function processGroupUsage(pgids: readonly number[], windowMs: number, wait: (ms: number) => Promise<void>): Promise<ProcessUsage[]> {
  if (pgids.length === 0) return []
  const groups = new Set(pgids)
  const first = await readSamples(groups)
  await wait(windowMs)
  const second = await readSamples(groups)
  const result: ProcessUsage[] = []
  for (const s of second.values()) {
    if (!isLive(s)) continue
    const before = first.get(s.pid)
    const ticks = before ? s.cpuTicks - before.cpuTicks : 0
    result.push({
      pid: s.pid,
      ppid: s.ppid,
      pgrp: s.pgrp,
      state: s.state,
      name: s.name,
      command: await readCommand(s.pid, s.name),
      cpuPercent: windowMs > 0 ? Math.round((ticks / TICKS_PER_SECOND / (windowMs / 1000)) * 1000) / 10 : 0,
      rssBytes: s.rssPages * PAGE_BYTES,
    })
  }
  return result.sort((a, b) => a.pgrp - b.pgrp || a.pid - b.pid)
}

export interface DiskUsage {
  path: string
  totalBytes: number
  freeBytes: number
  usedBytes: number
}

/** The file system holding `dir`, as df counts it (free = available to unprivileged users). */
export async function diskUsage(dir: string): Promise<DiskUsage> {
  const s = await fsp.statfs(dir)
  const totalBytes = s.blocks * s.bsize
  const freeBytes = s.bavail * s.bsize
  return { path: dir, totalBytes, freeBytes, usedBytes: totalBytes - s.bfree * s.bsize }
}

export function loadAverage(): [number, number, number] {
  const [a = 0, b = 0, c = 0] = os.loadavg()
  return [a, b, c]
}

export function hostUptimeSeconds(): number {
  return Math.round(os.uptime())
}

export function cpuCount(): number {
  return os.availableParallelism()
}
