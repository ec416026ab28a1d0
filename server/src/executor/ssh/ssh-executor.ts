/**
 * The executor contract over SSH (issue 12): runs on one registered server, on pooled ssh2
 * connections. Containment is the remote process group plus the run's environment markers.
 */
import type { Executor, SshTarget } from '../executor.ts'
import { installationKey } from '../local/local-executor.ts'
import { connectSsh } from './connect-ssh.ts'
import { signalRun, type RunMarkers } from './remote-scripts.ts'
import { SshPool } from './ssh-pool.ts'
import { SshRun } from './ssh-run.ts'
import { removeRunDir, remoteRunDir } from './upload-run-dir.ts'

export interface SshExecutorOptions {
  /** Read at each new connection, so a pin or credential changed meanwhile is used. */
  target: () => Promise<SshTarget>
  /** For messages: e.g. `deploy@db-1:22`. */
  label: string
  /** Called when a connection to a server with no pinned key saw this one (trust on first use). */
  onFirstHostKey?: (fingerprint: string) => Promise<void>
  /** The same value on every start of one installation: its runs' markers. */
  installation?: string
  /** Sessions opened on one connection before another is opened (OpenSSH's MaxSessions is 10). */
  maxChannelsPerConnection?: number
}

export interface SshExecutor extends Executor {
  /** Open connections now (the pool's reuse shows here). */
  readonly connectionCount: number
  close(): Promise<void>
}

export function createSshExecutor(options: SshExecutorOptions): SshExecutor {
  const key = installationKey(options.installation)
  const markers = (runId: number): RunMarkers => ({ runId, instance: key })
  const lostRuns = new Map<number, number | null>()
  const runs = new Set<SshRun>()
  const groups = new Set<number>()
  const connect = async () => {
    const target = await options.target()
    const connection = await connectSsh(target)
    if (target.hostKeyFingerprint === null) await options.onFirstHostKey?.(connection.hostKeyFingerprint)
    return connection
  }
  // Runs a dropped connection left behind end as soon as the server is reachable again.
  const pool: SshPool = new SshPool(
    connect,
    () => {
      for (const [runId, pgid] of lostRuns) {
        lostRuns.delete(runId)
        void killOrphanedRun(runId, pgid)
      }
    },
    options.maxChannelsPerConnection,
  )
  // A run no one supervises (its connection dropped, or Taskyard restarted under it): its group and
  // marked processes are killed and its copied files removed; unreachable now, at the next connection.
  const killOrphanedRun = async (runId: number, pgid: number | null): Promise<void> => {
    try {
      await pool.run(signalRun('KILL', pgid, markers(runId), 2_000))
      await removeRunDir(pool, remoteRunDir(markers(runId)))
    } catch {
      lostRuns.set(runId, pgid)
    }
  }
  return {
    start(spec, onEvent) {
      const run = new SshRun(
        spec,
        (event) => {
          if (event.type === 'exited') runs.delete(run)
          onEvent(event)
        },
        { pool, markers, lost: (runId, pgid) => lostRuns.set(runId, pgid), groups },
      )
      runs.add(run)
      return run
    },
    containment: `process groups (remote, over SSH to ${options.label}: the run's group and its marked processes)`,
    isolation: null,
    canLimitMemory: false,
    isGroupAlive: (pgid) => Number.isInteger(pgid) && pgid > 1 && groups.has(pgid),
    killOrphanedRun,
    get connectionCount() {
      return pool.connectionCount
    },
    async close() {
      await Promise.all([...runs].map((run) => run.stop()))
      pool.close()
    },
  }
}
