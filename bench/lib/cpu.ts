/**
 * CPU time of a process and of everything it started (issue 10, target 2: server CPU per run).
 * From /proc: the process's own utime + stime, and its children's — the reaped ones (cutime +
 * cstime, which include their own reaped descendants) plus every live descendant's whole tree
 * (the runner process, a copier still draining). Clock ticks (usually 10 ms), so only meaningful
 * over hundreds of runs.
 */
import fs from 'node:fs'

const TICK_MS = 10 // sysconf(_SC_CLK_TCK) is 100 on Linux everywhere Node runs

interface Stat {
  ppid: number
  self: number
  children: number
}

function readStat(pid: number | 'self'): Stat | null {
  let text: string
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // The command name (field 2) may hold spaces and parentheses: the fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const n = (i: number): number => Number(fields[i - 3])
  return { ppid: n(4), self: n(14) + n(15), children: n(16) + n(17) }
}

export interface CpuTimes {
  /** This process's own CPU (user + system), ms. */
  selfMs: number
  /** Its descendants' CPU, reaped or alive, ms. */
  childrenMs: number
}

export function treeCpu(): CpuTimes {
  const own = readStat('self')
  if (!own) throw new Error('cannot read /proc/self/stat')
  const byParent = new Map<number, number[]>()
  const stats = new Map<number, Stat>()
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name)
    if (!Number.isInteger(pid)) continue
    const stat = readStat(pid)
    if (!stat) continue
    stats.set(pid, stat)
    byParent.set(stat.ppid, [...(byParent.get(stat.ppid) ?? []), pid])
  }
  let live = 0
  const queue = [...(byParent.get(process.pid) ?? [])]
  for (let pid = queue.pop(); pid !== undefined; pid = queue.pop()) {
    const stat = stats.get(pid)
    if (stat) live += stat.self + stat.children
    queue.push(...(byParent.get(pid) ?? []))
  }
  return { selfMs: own.self * TICK_MS, childrenMs: (own.children + live) * TICK_MS }
}

export function cpuSince(start: CpuTimes): CpuTimes {
  const now = treeCpu()
  return { selfMs: now.selfMs - start.selfMs, childrenMs: now.childrenMs - start.childrenMs }
}
