/**
 * The Linux process table as /proc shows it. Every reader tolerates processes vanishing between
 * the directory listing and the read: a missing entry is skipped, never an error.
 */
import fs from 'node:fs'
import fsp from 'node:fs/promises'

export interface ProcEntry {
  pid: number
  ppid: number
  pgrp: number
  /** One letter: R, S, D, T (stopped), t, Z (zombie), X (dead)… */
  state: string
  /** Clock ticks after boot; with the pid it names one process, whatever pids are reused later. */
  startTicks: number
}

/** Everything Taskyard reads of /proc/<pid>/stat. */
export interface ProcStat extends ProcEntry {
  /** comm: the executable's name, at most 15 bytes, as the kernel keeps it. */
  name: string
  /** utime + stime, in clock ticks. */
  cpuTicks: number
  /** Resident set size, in pages. */
  rssPages: number
}

/** Parses /proc/<pid>/stat. comm may contain spaces and parentheses, so fields start after the last ')'. */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 0 || close < open) return null
  const pid = Number.parseInt(text, 10)
  // The fields after comm, numbered from 3 in proc(5): state(3) ppid(4) pgrp(5) … utime(14)
  // stime(15) … starttime(22) … rss(24).
  const fields = text.slice(close + 2).split(' ')
  const state = fields[0]
  const ppid = Number(fields[1])
  const pgrp = Number(fields[2])
  const cpuTicks = Number(fields[11]) + Number(fields[12])
  const startTicks = Number(fields[19])
  const rssPages = Number(fields[21])
  if (!state || !Number.isInteger(pid) || !Number.isInteger(ppid) || !Number.isInteger(pgrp)) return null
  if (!Number.isFinite(startTicks) || !Number.isFinite(cpuTicks) || !Number.isFinite(rssPages)) return null
  return { pid, ppid, pgrp, state, startTicks, name: text.slice(open + 1, close), cpuTicks, rssPages }
}

/** A zombie or dead entry runs nothing and holds no memory; it only waits for its parent to reap it. */
export function isLive(entry: ProcEntry): boolean {
  return entry.state !== 'Z' && entry.state !== 'X'
}

const isPidName = (name: string): boolean => /^\d+$/.test(name)

/** Every process on the machine (thread-group leaders only, as /proc lists them). */
export async function readProcTable(): Promise<ProcStat[]> {
  const names = (await fsp.readdir('/proc')).filter(isPidName)
  const entries = await Promise.all(names.map((name) => readProcEntry(Number(name))))
  return entries.filter((entry) => entry !== null)
}

/** The synchronous twin of readProcTable, for the few callers whose contract is synchronous. */
export function readProcTableSync(): ProcStat[] {
  const entries: ProcStat[] = []
  for (const name of fs.readdirSync('/proc')) {
    if (!isPidName(name)) continue
    try {
      const entry = parseProcStat(fs.readFileSync(`/proc/${name}/stat`, 'latin1'))
      if (entry) entries.push(entry)
    } catch {
      // Exited since the listing.
    }
  }
  return entries
}

/** One process's entry, read now; null when it is gone. */
export function readProcEntrySync(pid: number): ProcStat | null {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'))
  } catch {
    return null
  }
}

/** Live processes whose parent is `pid`. */
export function readChildrenSync(pid: number): number[] {
  return readProcTableSync()
    .filter((entry) => entry.ppid === pid && isLive(entry))
    .map((entry) => entry.pid)
}

export async function readProcEntry(pid: number): Promise<ProcStat | null> {
  try {
    return parseProcStat(await fsp.readFile(`/proc/${pid}/stat`, 'latin1'))
  } catch {
    return null
  }
}

/** Resident memory of one process in bytes; null when it is gone or a zombie (no VmRSS line). */
export async function readRssBytes(pid: number): Promise<number | null> {
  let status: string
  try {
    status = await fsp.readFile(`/proc/${pid}/status`, 'latin1')
  } catch {
    return null
  }
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status)
  return match?.[1] === undefined ? null : Number(match[1]) * 1024
}
