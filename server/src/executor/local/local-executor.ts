/**
 * Runs processes on this machine (Linux: cgroups where allowed, process groups, signals, /proc).
 * Output never passes through the server: the process writes its log file itself.
 */
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import type { Executor } from '../executor.ts'
import { findMarkedProcesses, readEnviron } from '../../lib/orphan-group.ts'
import { isLive, parseProcStat, readProcEntrySync, readProcTableSync, type ProcEntry } from '../../lib/proc-table.ts'
import { openCgroups, type Cgroups, type ContainmentChoice } from './cgroups.ts'
import { detectIsolation } from './isolation.ts'
import { Launcher } from './launcher.ts'
import { LocalRun, waitUntil } from './local-run.ts'
import { createSharedProcTable } from './shared-proc-table.ts'
import { signalGroup, signalProcess } from './signal-group.ts'

export interface LocalExecutorOptions {
  /**
   * Names this installation (the data directory, say), so that a restarted server finds the
   * cgroups and marked processes of the runs its previous life left, and never another
   * installation's. Default: this process only (nothing is found after a restart).
   */
  installation?: string
  /** 'auto' (default) takes the best this machine allows; the others force one (tests, diagnosis). */
  containment?: ContainmentChoice
  /**
   * Start isolated, non-interactive runs through the pre-started launcher (launcher.ts) where the
   * Perl helper is used (root). Opt-in for now (default false; no configuration turns it on yet):
   * not yet run under the whole server suite; docs/benchmarks.md has its figures.
   */
  launcher?: boolean
}

export interface LocalExecutor extends Executor {
  /** Which containment was chosen ('cgroup2', 'cgroup1' or 'none'), for tests and the runner. */
  readonly containmentKind: 'cgroup2' | 'cgroup1' | 'none'
  /** The key the installation option was turned into (the runner gets the same). */
  readonly installationKey: string
}

/** The environment entries every run gets, by which its processes are found without cgroups. */
export const RUN_ID_VARIABLE = 'TASKYARD_RUN_ID'
export const INSTANCE_VARIABLE = 'TASKYARD_INSTANCE'

const LEFTOVER_WAIT_MS = 2_000

export function installationKey(installation: string | undefined): string {
  if (installation === undefined) return `p${process.pid}-${randomBytes(3).toString('hex')}`
  // A key, not the path: it names a directory in cgroupfs and an environment value.
  return `i${createHash('sha256').update(installation).digest('hex').slice(0, 16)}`
}

export function createLocalExecutor(options: LocalExecutorOptions & { key?: string } = {}): LocalExecutor {
  // A pgid stored by an earlier server life may since have been recycled as this server's own
  // pid (hence group); that group is never a run's, whatever the number says.
  const ownPgid = readOwnPgid()
  const procTable = createSharedProcTable()
  const key = options.key ?? installationKey(options.installation)
  const { cgroups, reason } = openCgroups(options.containment ?? 'auto', key)
  // An empty parent holds nothing a restart would look for; a busy one stays (rmdir refuses).
  if (cgroups && options.key === undefined) removeAtExit(cgroups)
  const isolation = detectIsolation()
  const markers = (runId: number): Record<string, string> => ({ [RUN_ID_VARIABLE]: String(runId), [INSTANCE_VARIABLE]: key })
  const launcher = isolation?.launcher && options.launcher === true ? new Launcher(isolation.launcher) : null
  const context = { procTable, cgroups, isolation, markers, launcher }

  return {
    start: (spec, onEvent) => new LocalRun(spec, onEvent, context),
    containment: cgroups?.description ?? describeFallback(reason),
    containmentKind: cgroups?.version ?? 'none',
    installationKey: key,
    isolation: isolation?.description ?? null,
    canLimitMemory: cgroups?.memory ?? false,

    isGroupAlive(pgid) {
      if (pgid === ownPgid || !signalGroup(pgid, 0)) return false
      // kill(0) also succeeds while only zombies are left, and they stay in the group until reaped:
      // for as long as PID 1 takes, which is forever for some container entrypoints that are no init.
      return readProcTableSync().some((entry) => entry.pgrp === pgid && isLive(entry))
    },

    killOrphanedRun: (runId, pgid) => killOrphanedRun(cgroups, markers(runId), runId, pgid === ownPgid ? null : pgid),
  }
}

const toRemoveAtExit = new Set<Cgroups>()

function removeAtExit(cgroups: Cgroups): void {
  if (toRemoveAtExit.size === 0)
    process.once('exit', () => {
      for (const each of toRemoveAtExit) each.removeParent()
    })
  toRemoveAtExit.add(cgroups)
}

function describeFallback(reason: string): string {
  return `process groups (${reason}): stop and restart also find processes that left the group by their ${RUN_ID_VARIABLE} and ${INSTANCE_VARIABLE} environment; no memory limit`
}

async function killOrphanedRun(cgroups: Cgroups | null, markers: Record<string, string>, runId: number, pgid: number | null): Promise<void> {
  try {
    const groups = cgroups?.existing(runId) ?? []
    for (const cgroup of groups) cgroup.kill()
    // Also without cgroups, and with them for processes a previous life started before cgroups
    // were available. The markers make a recycled pid harmless: it carries another environment.
    const wanted = Object.entries(markers).map(([name, value]) => `${name}=${value}`)
    const marked = findMarkedProcesses(wanted)
    // Runs started before the instance marker existed carry only TASKYARD_RUN_ID: accepted inside
    // the run's own group, as before.
    if (pgid !== null && pgid > 1) {
      const runMarker = wanted[0] as string
      for (const entry of readProcTableSync()) {
        if (entry.pgrp === pgid && isLive(entry) && readEnviron(entry.pid)?.includes(runMarker) && !marked.some((m) => m.pid === entry.pid)) marked.push(entry)
      }
    }
    for (const entry of marked) {
      // SIGKILL ends stopped processes too; the SIGCONT keeps the order every stop here uses.
      signalProcess(entry.pid, 'SIGCONT')
      signalProcess(entry.pid, 'SIGKILL')
    }
    const deadline = Date.now() + LEFTOVER_WAIT_MS
    await waitUntil(() => marked.every((entry) => !isSameLiveProcess(entry)), deadline)
    for (const cgroup of groups) {
      await waitUntil(() => cgroup.isEmpty(), deadline)
      cgroup.remove()
    }
  } catch {
    // Recovery goes on: a process that could not be ended is reported by the next start's scan.
  }
}

function isSameLiveProcess(entry: ProcEntry): boolean {
  const now = readProcEntrySync(entry.pid)
  return now !== null && now.startTicks === entry.startTicks && isLive(now)
}

function readOwnPgid(): number {
  try {
    return parseProcStat(fs.readFileSync('/proc/self/stat', 'latin1'))?.pgrp ?? process.pid
  } catch {
    return process.pid
  }
}
