/**
 * CPU time of process trees, read from /proc (Linux), for the SSH scenario's per-run split: who
 * pays for a run on each side (the bench process and its children, sshd's sessions and the
 * commands they ran, the ssh mux, PostgreSQL's backends). A process's CPU is its own time plus
 * what its children used that it reaped (`cutime`/`cstime`), so a tree summed over its live
 * members counts every process that ended inside it once.
 */
import { readdirSync, readFileSync } from 'node:fs'

const TICK_MS = 1000 / 100 // USER_HZ: 100 on Linux

interface Stat {
  pid: number
  ppid: number
  comm: string
  /** Own user + system time, ms. */
  self: number
  /** Reaped children's user + system time, ms. */
  children: number
}

function readStat(pid: number | string): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const close = text.lastIndexOf(')')
    const fields = text.slice(close + 2).split(' ')
    // fields[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
    return {
      pid: Number(pid),
      ppid: Number(fields[1]),
      comm: text.slice(text.indexOf('(') + 1, close),
      self: (Number(fields[11]) + Number(fields[12])) * TICK_MS,
      children: (Number(fields[13]) + Number(fields[14])) * TICK_MS,
    }
  } catch {
    return null
  }
}

function allStats(): Stat[] {
  const stats: Stat[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = readStat(name)
    if (stat) stats.push(stat)
  }
  return stats
}

/** CPU ms of `root` and every live descendant, each with what it reaped. */
export function treeCpuMs(root: number): number {
  const stats = allStats()
  const byParent = new Map<number, Stat[]>()
  for (const stat of stats) byParent.set(stat.ppid, [...(byParent.get(stat.ppid) ?? []), stat])
  const rootStat = stats.find((s) => s.pid === root)
  if (!rootStat) return 0
  let total = 0
  const queue = [rootStat]
  while (queue.length > 0) {
    const stat = queue.pop()!
    total += stat.self + stat.children
    queue.push(...(byParent.get(stat.pid) ?? []))
  }
  return total
}

/** CPU ms of the listed processes (own + reaped children); those gone since count 0. */
export function processesCpuMs(pids: number[]): number {
  let total = 0
  for (const pid of pids) {
    const stat = readStat(pid)
    if (stat) total += stat.self + stat.children
  }
  return total
}

/** Pids of live processes whose command line contains `needle`. */
export function pidsMatching(needle: string): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(needle)) pids.push(Number(name))
    } catch {
      // gone
    }
  }
  return pids
}
