import { readFileSync, readdirSync } from 'node:fs'

/**
 * Pids of live processes in process group `pgid` whose environment carries `marker`
 * (e.g. `TASKYARD_RUN_ID=12`). The marker guards against pid reuse after a reboot or a long outage.
 */
export function markedGroupMembers(pgid: number, marker: string): number[] {
  const found: number[] = []
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return found
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      // Fields after the ')' that closes comm: state ppid pgrp …
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[2]) !== pgid) continue
      const environ = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0')
      if (environ.includes(marker)) found.push(Number(name))
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return found
}
