import { readFileSync } from 'node:fs'
import os from 'node:os'

/** Memory in use on the host: MemTotal − MemAvailable (what `free` calls used), falling back to os. */
export function systemMemory(): { usedBytes: number; totalBytes: number } {
  try {
    const info = readFileSync('/proc/meminfo', 'utf8')
    const kb = (key: string): number | null => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(info)
      return m ? Number(m[1]) * 1024 : null
    }
    const total = kb('MemTotal')
    const available = kb('MemAvailable')
    if (total != null && available != null) return { usedBytes: total - available, totalBytes: total }
  } catch {
    // not Linux: os below
  }
  return { usedBytes: os.totalmem() - os.freemem(), totalBytes: os.totalmem() }
}

/** Busy share of all CPUs since the previous call, in percent. */
export function cpuSampler(): () => number {
  let last = os.cpus().map((c) => c.times)
  return () => {
    const now = os.cpus().map((c) => c.times)
    let busy = 0
    let total = 0
    now.forEach((t, i) => {
      const p = last[i] ?? t
      const idle = t.idle - p.idle
      const all = t.user - p.user + (t.nice - p.nice) + (t.sys - p.sys) + (t.irq - p.irq) + idle
      busy += all - idle
      total += all
    })
    last = now
    return total === 0 ? 0 : Math.round((busy / total) * 1000) / 10
  }
}
