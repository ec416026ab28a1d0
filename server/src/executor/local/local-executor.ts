/**
 * Runs processes on this machine (Linux: process groups, signals and /proc).
 * Output never passes through the server: the process writes its log file itself.
 */
import fs from 'node:fs'
import type { Executor } from '../executor.ts'
import { LocalRun } from './local-run.ts'
import { isLive, parseProcStat, readProcTableSync } from './proc-table.ts'
import { createSharedProcTable } from './shared-proc-table.ts'
import { signalGroup } from './signal-group.ts'

export function createLocalExecutor(): Executor {
  // A pgid stored by an earlier server life may since have been recycled as this server's own
  // pid (hence group); that group is never a run's, whatever the number says.
  const ownPgid = readOwnPgid()
  const procTable = createSharedProcTable()
  return {
    start: (spec, onEvent) => new LocalRun(spec, onEvent, procTable),

    isGroupAlive(pgid) {
      if (pgid === ownPgid || !signalGroup(pgid, 0)) return false
      // kill(0) also succeeds while only zombies are left, and they stay in the group until reaped:
      // for as long as PID 1 takes, which is forever for some container entrypoints that are no init.
      return readProcTableSync().some((entry) => entry.pgrp === pgid && isLive(entry))
    },

    killGroup(pgid) {
      if (pgid === ownPgid) return
      // SIGKILL ends stopped members too; the SIGCONT only keeps the order every stop here uses.
      signalGroup(pgid, 'SIGCONT')
      signalGroup(pgid, 'SIGKILL')
    },
  }
}

function readOwnPgid(): number {
  try {
    return parseProcStat(fs.readFileSync('/proc/self/stat', 'latin1'))?.pgrp ?? process.pid
  } catch {
    return process.pid
  }
}
