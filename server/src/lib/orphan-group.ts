import { readFileSync } from 'node:fs'
import { isLive, readProcTableSync, type ProcEntry } from './proc-table.ts'

/**
 * Live processes whose environment carries every one of `markers` (e.g. `TASKYARD_RUN_ID=12`),
 * wherever they are: in any process group or session, re-parented to init or not. This is how
 * processes that left their group (setsid, a double fork, `nohup … & disown`) are found again
 * without cgroups. The environment is the one the process was exec'd with: a process that
 * replaced its environment (env -i, execve with a fresh one) is not found.
 *
 * The markers also guard against pid reuse: a recycled pid carries another process's environment.
 * Synchronous and a whole /proc scan: for stop and crash recovery, never on a run's start.
 */
export function findMarkedProcesses(markers: readonly string[]): ProcEntry[] {
  const found: ProcEntry[] = []
  for (const entry of readProcTableSync()) {
    if (!isLive(entry) || entry.pid === process.pid) continue
    const environ = readEnviron(entry.pid)
    if (environ !== null && markers.every((marker) => environ.includes(marker))) found.push(entry)
  }
  return found
}

/** The NUL-separated `NAME=value` entries a process was started with; null when unreadable (gone, kernel thread, not ours). */
export function readEnviron(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/environ`, 'utf8')
    return text === '' ? null : text.split('\0')
  } catch {
    return null
  }
}
