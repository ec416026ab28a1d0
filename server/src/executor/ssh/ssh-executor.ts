/**
 * The executor contract over SSH (issue 12): runs on one registered server, on pooled ssh2
 * connections. Containment is the remote process group plus the run's environment markers.
 */
import type { Executor, SshTarget } from '../executor.ts'
import { installationKey } from '../local/local-executor.ts'
import { connectSsh, type SshConnection } from './connect-ssh.ts'
import { PendingSweeps } from './pending-sweeps.ts'
import { isPosixShell, LOGIN_SHELL_QUERY, signalRun, type RunMarkers } from './remote-scripts.ts'
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
  /** Where this server's pending sweeps are kept across restarts (pending-sweeps.ts); memory only without. */
  pendingSweepsFile?: string
  /** The first retry of a sweep that could not reach the server; doubled after each failure, up to 30 s. */
  sweepRetryMs?: number
}

const MAX_SWEEP_RETRY_MS = 30_000

export interface SshExecutor extends Executor {
  /** Open connections now (the pool's reuse shows here). */
  readonly connectionCount: number
  close(): Promise<void>
  /** close(), and the pending sweeps dropped with their file: the server is deleted. */
  discard(): Promise<void>
}

export function createSshExecutor(options: SshExecutorOptions): SshExecutor {
  const key = installationKey(options.installation)
  const markers = (runId: number): RunMarkers => ({ runId, instance: key })
  const pending = new PendingSweeps(options.pendingSweepsFile ?? null)
  const firstRetryMs = options.sweepRetryMs ?? 1_000
  let retryMs = firstRetryMs
  let retryTimer: NodeJS.Timeout | null = null
  let closed = false
  const sweeping = new Map<number, Promise<void>>()
  const runs = new Set<SshRun>()
  const groups = new Set<number>()
  const connect = async () => {
    const target = await options.target()
    const connection = await connectSsh(target)
    if (target.hostKeyFingerprint === null) await options.onFirstHostKey?.(connection.hostKeyFingerprint)
    // Once per connection: runs on it then save the exec of a /bin/sh (runWrapper's posixLogin).
    connection.posixLogin = isPosixShell(await loginShellOf(connection))
    return connection
  }
  // Every pending sweep is tried again at each new connection (a new run, an upload, a retry).
  const pool: SshPool = new SshPool(connect, () => sweepPending(), options.maxChannelsPerConnection)
  const sweepPending = (): void => {
    for (const [runId, pgid] of pending.entries()) void killOrphanedRun(runId, pgid)
  }
  // Nothing else may connect to this server for a long time (no run of it is due): without this
  // retry, what a lost run left would live on until one does.
  const scheduleRetry = (): void => {
    if (closed || retryTimer !== null || pending.size === 0) return
    retryTimer = setTimeout(() => {
      retryTimer = null
      sweepPending()
    }, retryMs)
    retryTimer.unref()
    retryMs = Math.min(retryMs * 2, MAX_SWEEP_RETRY_MS)
  }
  // A run no one supervises (its connection dropped, or Taskyard restarted under it): its group and
  // marked processes are killed and its copied files removed; unreachable now, retried until done.
  // Recorded before the first try: the caller closes the run once this returns to it.
  const killOrphanedRun = (runId: number, pgid: number | null): Promise<void> => {
    pending.add(runId, pgid)
    const running = sweeping.get(runId)
    if (running) return running
    const sweep = (async () => {
      try {
        const { stdout } = await pool.run(signalRun('KILL', pgid, markers(runId), 2_000))
        // `<before> <after>`: something still alive 2 s after SIGKILL is tried again later.
        if (Number(stdout.trim().split(/\s+/)[1] ?? 'NaN') !== 0) throw new Error(`the run's processes outlived SIGKILL: ${stdout.trim()}`)
        await removeRunDir(pool, remoteRunDir(markers(runId)))
        pending.delete(runId)
        retryMs = firstRetryMs
      } catch {
        scheduleRetry()
      } finally {
        sweeping.delete(runId)
      }
    })()
    sweeping.set(runId, sweep)
    return sweep
  }
  // Sweeps a previous life of Taskyard could not finish go on from here.
  scheduleRetry()
  const close = async (): Promise<void> => {
    await Promise.all([...runs].map((run) => run.stop()))
    // Sweeps still pending stay in their file, for the next start.
    closed = true
    if (retryTimer !== null) clearTimeout(retryTimer)
    pool.close()
  }
  return {
    start(spec, onEvent) {
      const run = new SshRun(
        spec,
        (event) => {
          if (event.type === 'exited') runs.delete(run)
          onEvent(event)
        },
        { pool, markers, lost: (runId, pgid) => void killOrphanedRun(runId, pgid), groups },
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
    close,
    async discard() {
      await close()
      pending.discard()
    },
  }
}

/** The login shell's path on this connection, or '' when it cannot be told (the wrapper then takes the long way). */
function loginShellOf(connection: SshConnection): Promise<string> {
  return new Promise((resolve) => {
    connection.client.exec(LOGIN_SHELL_QUERY, (error, stream) => {
      if (error) return resolve('')
      let out = ''
      stream.on('data', (chunk: Buffer) => (out += chunk.toString()))
      stream.stderr.resume()
      stream.once('close', () => resolve(out.trim()))
    })
  })
}
