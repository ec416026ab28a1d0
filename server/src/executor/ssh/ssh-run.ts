/**
 * One run on a server over SSH. The remote wrapper (remote-scripts.ts) reports the pid, which is
 * also the run's process group and session; stop, timeout, pause and the end of the run act on
 * that group and on the processes carrying the run's markers, through control commands sent on
 * the pooled connections, one after another in the order they were asked for.
 */
import type { ClientChannel } from 'ssh2'
import type { ExitReason, RunEvent, RunHandle, RunSpec } from '../executor.ts'
import { CappedLog } from './capped-log.ts'
import { countAlive, ERROR_LINE, PID_LINE, runWrapper, sampleRss, signalRun, type RunMarkers } from './remote-scripts.ts'
import type { SshPool } from './ssh-pool.ts'
import { removeRunDir, remoteRunDir, uploadRunDir } from './upload-run-dir.ts'

export interface SshRunContext {
  pool: SshPool
  markers(runId: number): RunMarkers
  /** A run whose connection dropped: its group is to be ended at the next connection. */
  lost(runId: number, pgid: number): void
  /** Live run groups, for isGroupAlive. */
  groups: Set<number>
}

/** How long leftovers of a run that ended by itself may take to die after SIGKILL. */
const LEFTOVER_WAIT_MS = 2_000
const POLL_MS = 50
const MIN_SAMPLE_INTERVAL_MS = 10
/** The first memory sample waits this long (at most the interval): runs that end sooner take none. */
const FIRST_SAMPLE_DELAY_MS = 500

type Exited = Extract<RunEvent, { type: 'exited' }>

export class SshRun implements RunHandle {
  pid = 0
  readonly #spec: RunSpec
  readonly #emit: (event: RunEvent) => void
  readonly #ctx: SshRunContext
  readonly #markers: RunMarkers
  #channel: ClientChannel | null = null
  /** Input given before the channel was open, sent once it is. */
  #pendingInput: string[] = []
  /** closeInput() was asked (or the run is not interactive): no more input, end-of-file sent. */
  #inputClosed = false
  #logs: { all: CappedLog; stdout: CappedLog | null; stderr: CappedLog | null } | null = null
  #head = Buffer.alloc(0)
  #leader: { code: number | null; signal: NodeJS.Signals | null } | null = null
  #spawnError: string | null = null
  /** Settles once what the leader left is gone; true when that took a SIGKILL after the grace period. */
  #afterLeader: Promise<boolean> | null = null
  #stopReason: ExitReason | null = null
  #graceDeadline = 0
  #killedAtGrace = false
  #control: Promise<unknown> = Promise.resolve()
  #timers: NodeJS.Timeout[] = []
  #finished = false
  /** The run's directory on the server while its files are there (RunSpec.uploadDir). */
  #remoteDir: string | null = null
  readonly #started: Promise<void>
  #resolveStarted!: () => void
  readonly #ended: Promise<void>
  #resolveEnded!: () => void

  constructor(spec: RunSpec, onEvent: (event: RunEvent) => void, ctx: SshRunContext) {
    this.#spec = spec
    this.#emit = onEvent
    this.#ctx = ctx
    this.#markers = ctx.markers(spec.runId)
    this.#started = new Promise((resolve) => (this.#resolveStarted = resolve))
    this.#ended = new Promise((resolve) => (this.#resolveEnded = resolve))
    // Never from inside start(): the caller has its handle before the first event.
    setImmediate(() => void this.#begin())
  }

  pause(): void {
    void this.#signal('STOP')
  }

  resume(): void {
    void this.#signal('CONT')
  }

  writeInput(text: string): void {
    if (this.#finished || this.#inputClosed || !this.#spec.interactive) return
    if (this.#channel === null) {
      this.#pendingInput.push(text)
      return
    }
    try {
      this.#channel.write(text)
    } catch {
      // The run closed its stdin, or the channel is going: input is dropped, as locally on EPIPE.
    }
  }

  closeInput(): void {
    if (this.#inputClosed) return
    this.#inputClosed = true
    // Before the channel exists: ended as soon as it does (#begin), after the pending input.
    if (this.#channel !== null && !this.#finished) this.#endChannelInput()
  }

  #endChannelInput(): void {
    try {
      this.#channel?.end()
    } catch {
      // The channel is going: its end is what the run sees anyway.
    }
  }

  async stop(): Promise<void> {
    this.#terminate('stopped')
    await this.#ended
  }

  async #begin(): Promise<void> {
    const refused = refusal(this.#spec)
    if (refused) return this.#finish({ exitCode: null, signal: null, reason: 'exit', spawnError: refused })
    try {
      const { outputPath, maxOutputBytes, streamPaths } = this.#spec
      const cap = maxOutputBytes ?? null
      this.#logs = {
        all: new CappedLog(outputPath, cap),
        stdout: streamPaths ? new CappedLog(streamPaths.stdout, cap) : null,
        stderr: streamPaths ? new CappedLog(streamPaths.stderr, cap) : null,
      }
    } catch (error) {
      return this.#finish({ exitCode: null, signal: null, reason: 'exit', spawnError: (error as Error).message })
    }
    let spec = this.#spec
    if (spec.uploadDir) {
      const remoteDir = remoteRunDir(this.#markers)
      try {
        this.#remoteDir = remoteDir
        await uploadRunDir(this.#ctx.pool, spec.uploadDir, remoteDir)
      } catch (error) {
        return this.#finish({
          exitCode: null,
          signal: null,
          reason: 'exit',
          spawnError: `cannot copy the task's files to the server: ${(error as Error).message}`,
        })
      }
      if (this.#stopReason !== null) return this.#finish({ exitCode: null, signal: null, reason: this.#stopReason })
      spec = { ...spec, cwd: remoteDir }
    }
    let channel: ClientChannel
    try {
      channel = await this.#ctx.pool.exec((connection) => runWrapper(spec, this.#markers, connection.posixLogin === true))
    } catch (error) {
      return this.#finish({ exitCode: null, signal: null, reason: 'exit', spawnError: `cannot run on the server: ${(error as Error).message}` })
    }
    this.#channel = channel
    channel.on('error', () => undefined)
    channel.on('data', (chunk: Buffer) => this.#stdout(chunk))
    channel.stderr.on('data', (chunk: Buffer) => this.#output(chunk, 'stderr'))
    channel.once('exit', (code: number | null, signal?: string) => {
      this.#leader = { code: signal ? null : code, signal: signal ? ((signal.startsWith('SIG') ? signal : `SIG${signal}`) as NodeJS.Signals) : null }
      if (this.pid !== 0) this.#afterLeader = this.#leaderExited()
    })
    channel.once('close', () => void this.#closed())
    for (const text of this.#pendingInput.splice(0)) {
      try {
        channel.write(text)
      } catch {
        // As in writeInput: input the run can no longer read is dropped.
      }
    }
    // Not interactive: the remote stdin is at end-of-file from the start (issue 8).
    if (!this.#spec.interactive) this.#inputClosed = true
    if (this.#inputClosed) this.#endChannelInput()
  }

  /** The first line is the wrapper's; everything after it is the run's. */
  #stdout(chunk: Buffer): void {
    if (this.pid !== 0 || this.#spawnError !== null) return this.#output(chunk, 'stdout')
    this.#head = Buffer.concat([this.#head, chunk])
    const newline = this.#head.indexOf(10)
    if (newline < 0) return
    const line = this.#head.subarray(0, newline).toString()
    const rest = this.#head.subarray(newline + 1)
    this.#head = Buffer.alloc(0)
    if (line.startsWith(ERROR_LINE)) {
      const program = this.#spec.argv[0] ?? ''
      this.#spawnError =
        line === `${ERROR_LINE}nocwd` ? `spawn ${program} ENOENT (working directory ${this.#spec.cwd} does not exist)` : `spawn ${program} ENOENT`
      return
    }
    this.pid = Number(line.slice(PID_LINE.length))
    this.#ctx.groups.add(this.pid)
    this.#emit({ type: 'started', pid: this.pid, at: Date.now() })
    this.#resolveStarted()
    // Should the exit status be emitted before the stdout sent ahead of it, the run would otherwise
    // look lost at the channel's close: what the leader left is checked from here instead.
    if (this.#leader !== null && this.#afterLeader === null) this.#afterLeader = this.#leaderExited()
    if (this.#spec.timeoutMs !== null) this.#timers.push(setTimeout(() => this.#terminate('timeout'), this.#spec.timeoutMs))
    void this.#sampleLoop()
    if (rest.length > 0) this.#output(rest, 'stdout')
  }

  #output(chunk: Buffer, stream: 'stdout' | 'stderr'): void {
    if (!this.#logs) return
    this.#logs.all.write(chunk)
    this.#logs[stream]?.write(chunk)
  }

  /** Sends a signal to the run's processes after every control command asked for before it. */
  #signal(signal: string, waitMs = 0): Promise<{ before: number; after: number }> {
    const next = this.#control.then(async () => {
      if (this.pid === 0 || this.#finished) return { before: 0, after: 0 }
      // A wait blocks its channel: not the shared control shell's.
      // No exit status yet: the leader is alive, the run's own (signalRun's leaderAlive).
      const command = signalRun(signal, this.pid, this.#markers, waitMs, this.#leader === null)
      const { stdout } = await (waitMs > 0 ? this.#ctx.pool.run(command) : this.#ctx.pool.control(command))
      const [before = 0, after = 0] = stdout.trim().split(/\s+/).map(Number)
      return { before, after }
    })
    this.#control = next.catch(() => undefined)
    return next.catch(() => ({ before: 0, after: 0 }))
  }

  /** SIGTERM now (a paused run is continued first), SIGKILL to whatever is left when the grace ends. */
  #terminate(reason: ExitReason): void {
    if (this.#stopReason !== null || this.#finished) return
    this.#stopReason = reason
    void (async () => {
      await Promise.race([this.#started, this.#ended])
      if (this.#finished) return
      this.#graceDeadline = Date.now() + this.#spec.killGraceMs
      void this.#signal('CONT')
      void this.#signal('TERM')
      this.#timers.push(
        setTimeout(() => {
          void this.#signal('KILL', LEFTOVER_WAIT_MS).then(({ before }) => {
            if (before > 0) this.#killedAtGrace = true
          })
        }, this.#spec.killGraceMs),
      )
    })()
  }

  async #sampleLoop(): Promise<void> {
    const interval = Math.max(this.#spec.sampleIntervalMs, MIN_SAMPLE_INTERVAL_MS)
    // Each sample is a round trip and a scan of the remote /proc: a run that is over this soon
    // (most commands) has none to pay for; a longer one still gets its first sample early.
    await new Promise((resolve) => this.#timers.push(setTimeout(resolve, Math.min(interval, FIRST_SAMPLE_DELAY_MS))))
    while (!this.#finished) {
      try {
        const { stdout } = await this.#ctx.pool.control(sampleRss(this.pid))
        const rssBytes = Number(stdout.trim())
        if (!this.#finished && rssBytes > 0) this.#emit({ type: 'sample', rssBytes, at: Date.now() })
      } catch {
        return
      }
      await new Promise((resolve) => this.#timers.push(setTimeout(resolve, interval)))
    }
  }

  /**
   * The leader is gone, but the channel stays open while anything holds its stdout: what the run
   * left ends now (ended by itself) or by the end of the grace period (stopping).
   */
  async #leaderExited(): Promise<boolean> {
    if (this.#stopReason === null) {
      // One check on the control shell, which finds nothing left after most runs; only leftovers cost a wait.
      const { before } = await this.#signal('KILL')
      if (before > 0) await this.#signal('KILL', LEFTOVER_WAIT_MS)
      return false
    }
    await this.#control
    while (!this.#killedAtGrace && Date.now() < this.#graceDeadline) {
      const { stdout } = await this.#ctx.pool.control(countAlive(this.pid, this.#markers)).catch(() => ({ stdout: '0' }))
      if (Number(stdout.trim()) === 0) return false
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
    if (this.#killedAtGrace) return true
    return (await this.#signal('KILL', LEFTOVER_WAIT_MS)).before > 0
  }

  async #closed(): Promise<void> {
    if (this.#spawnError !== null) return this.#finish({ exitCode: null, signal: null, reason: 'exit', spawnError: this.#spawnError })
    const leader = this.#leader
    if (leader === null || this.#afterLeader === null || this.pid === 0) {
      // The channel closed without an exit status: the connection dropped under the run.
      if (this.pid !== 0) this.#ctx.lost(this.#spec.runId, this.pid)
      return this.#finish({ exitCode: null, signal: null, reason: 'exit', lostReason: 'the SSH connection to the server was lost' })
    }
    const killed = await this.#afterLeader
    await this.#control
    const signal = killed || this.#killedAtGrace ? 'SIGKILL' : leader.signal
    this.#finish({ exitCode: signal === null ? leader.code : null, signal, reason: this.#stopReason ?? 'exit' })
  }

  #finish(end: Omit<Exited, 'type' | 'at'>): void {
    if (this.#finished) return
    this.#finished = true
    for (const timer of this.#timers) clearTimeout(timer)
    this.#ctx.groups.delete(this.pid)
    const at = Date.now()
    const logs = this.#logs
    const capped = this.#spec.maxOutputBytes != null
    // The run's copied files go before 'exited': whoever waits for the end finds the server clean.
    const removed = this.#remoteDir === null ? Promise.resolve() : removeRunDir(this.#ctx.pool, this.#remoteDir)
    void Promise.all([logs?.all.close(), logs?.stdout?.close(), logs?.stderr?.close(), removed]).then(() => {
      this.#emit({ type: 'exited', ...end, ...(capped && logs ? { outputTruncated: logs.all.truncated } : {}), at })
      this.#resolveStarted()
      this.#resolveEnded()
    })
  }
}

/** What a run asks that SSH cannot give: refused before anything is sent. */
function refusal(spec: RunSpec): string | null {
  if (spec.argv.length === 0) return 'argv is empty'
  if (spec.memoryLimitBytes != null) return 'a memory limit cannot be enforced here: runs over SSH have no cgroup on the server'
  if (spec.runAs != null) return 'runAs cannot be applied over SSH: a run gets the account the server logs in as'
  if (spec.isolation != null) return 'isolation cannot be applied over SSH: a run sees the server’s own file system'
  return null
}
