import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import type { ExitReason, RunEvent, RunHandle, RunSpec } from '../executor.ts'
import { isLive, parseProcStat, readProcTable, readRssBytes, type ProcEntry } from './proc-table.ts'
import { selectProcessTree, treeRssBytes } from './process-tree.ts'
import type { SharedProcTable } from './shared-proc-table.ts'
import { signalGroup, signalProcess } from './signal-group.ts'

/**
 * starting → running → exiting → exited. 'exiting' covers the time between the leader's death and
 * the 'exited' event, while leftovers are killed; nothing but 'exited' may be emitted from it.
 */
type Phase = 'starting' | 'running' | 'exiting' | 'exited'

type Exit = { exitCode: number | null; signal: NodeJS.Signals | null; spawnError?: string }

/** A shorter interval would make the /proc scans themselves the load. */
const MIN_SAMPLE_INTERVAL_MS = 10
/** How long 'exited' may wait for SIGKILLed leftovers to die before it is reported anyway. */
const LEFTOVER_WAIT_MS = 2_000
const MAX_POLL_MS = 100

/**
 * One process group started for one run. The leader is spawned with `detached: true`, so libuv
 * calls setsid(): the run is a session and a process group of its own (pgid = pid) and every
 * signal goes to the whole group, never to the leader alone.
 */
export class LocalRun implements RunHandle {
  readonly pid: number
  readonly #spec: RunSpec
  readonly #onEvent: (event: RunEvent) => void
  readonly #procTable: SharedProcTable
  readonly #child: ChildProcess | null
  #phase: Phase = 'starting'
  /** Set by the first of stop() and the timeout; a later one does not rename the ending. */
  #reason: ExitReason = 'exit'
  #terminating = false
  #killDeadline = 0
  #timeoutTimer: NodeJS.Timeout | undefined
  #killTimer: NodeJS.Timeout | undefined
  #sampleTimer: NodeJS.Timeout | undefined
  #sampling = false
  /**
   * Descendants seen outside the run's group (they called setsid or setpgid), by pid → start time.
   * Once their parent dies they can no longer be traced to the run, so they are remembered from the
   * last tree scan; the start time keeps a recycled pid from being taken for one of them.
   */
  readonly #escaped = new Map<number, number>()
  readonly #exited = Promise.withResolvers<void>()

  /** onEvent must not throw: it runs inside child-process callbacks, where nothing can handle it. */
  constructor(spec: RunSpec, onEvent: (event: RunEvent) => void, procTable: SharedProcTable) {
    this.#spec = spec
    this.#onEvent = onEvent
    this.#procTable = procTable
    let child: ChildProcess | null = null
    let fd: number | undefined
    let failure: string | undefined
    try {
      const [command, ...args] = spec.argv
      if (command === undefined) throw new Error('argv is empty')
      // O_APPEND: stdout and stderr share one file description, so their writes land in the order
      // they are made and never overwrite each other or what an earlier attempt wrote.
      fd = fs.openSync(spec.outputPath, 'a')
      child = spawn(command, args, {
        cwd: spec.cwd,
        env: spec.env,
        detached: true,
        stdio: ['pipe', fd, fd],
      })
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error)
    } finally {
      // The child holds its own copy; keeping ours would leak one descriptor per run.
      if (fd !== undefined) fs.closeSync(fd)
    }
    this.#child = child
    this.pid = child?.pid ?? 0
    if (child === null) {
      // Events are never delivered from inside start(): the caller does not hold the handle yet.
      setImmediate(() => this.#finish({ exitCode: null, signal: null, spawnError: failure }))
      return
    }
    child.once('spawn', () => this.#onSpawn())
    child.on('error', (error: NodeJS.ErrnoException) => {
      // After a successful spawn 'error' only reports failed kill()/send() calls, which this class
      // does not make; before it, the process never existed and no 'exit' will follow.
      if (this.#phase === 'starting') this.#finish({ exitCode: null, signal: null, spawnError: this.#describeSpawnError(error) })
    })
    child.once('exit', (exitCode, signal) => void this.#onLeaderExit(exitCode, signal))
    // EPIPE once the process has closed its stdin or died: input it will never read is not an error.
    child.stdin?.on('error', () => {})
  }

  pause(): void {
    if (this.#isSignallable() && !this.#terminating) this.#signalRun('SIGSTOP')
  }

  resume(): void {
    if (this.#isSignallable()) this.#signalRun('SIGCONT')
  }

  stop(): Promise<void> {
    this.#terminate('stopped')
    return this.#exited.promise
  }

  writeInput(text: string): void {
    const stdin = this.#child?.stdin
    if (!stdin || stdin.destroyed || !stdin.writable || !this.#isSignallable()) return
    stdin.write(text)
  }

  /** While the leader lives its pid is the run's pgid; afterwards the number may name someone else's group. */
  #isSignallable(): boolean {
    return this.pid > 0 && (this.#phase === 'starting' || this.#phase === 'running')
  }

  #onSpawn(): void {
    if (this.#phase !== 'starting') return
    this.#phase = 'running'
    const at = Date.now()
    if (this.#spec.timeoutMs !== null) {
      this.#timeoutTimer = setTimeout(() => this.#terminate('timeout'), this.#spec.timeoutMs)
    }
    const interval = Math.max(this.#spec.sampleIntervalMs, MIN_SAMPLE_INTERVAL_MS)
    this.#sampleTimer = setInterval(() => void this.#sample(interval / 2), interval)
    this.#emit({ type: 'started', pid: this.pid, at })
    // A run shorter than one interval should still report its memory once. Only the leader is
    // read here: a whole /proc scan at every start costs milliseconds of event loop per run and
    // grows with the machine's process count (bench figure 2); the interval samples the tree.
    void this.#sampleLeader()
  }

  async #sampleLeader(): Promise<void> {
    const rssBytes = await readRssBytes(this.pid)
    if (rssBytes !== null && this.#phase === 'running') this.#emit({ type: 'sample', rssBytes, at: Date.now() })
  }

  /** stop() and the timeout: SIGCONT (a stopped process cannot act on SIGTERM), SIGTERM, SIGKILL after the grace. */
  #terminate(reason: ExitReason): void {
    if (this.#terminating || !this.#isSignallable()) return
    this.#terminating = true
    this.#reason = reason
    this.#killDeadline = Date.now() + this.#spec.killGraceMs
    clearTimeout(this.#timeoutTimer)
    void this.#sendTerminationSignals()
  }

  async #sendTerminationSignals(): Promise<void> {
    // Scanned while the leader lives: once it dies, descendants in other groups lose their link to the run.
    await this.#scanTree().catch(() => undefined)
    if (!this.#isSignallable()) return // the leader died meanwhile; #onLeaderExit owns the rest
    this.#signalRun('SIGCONT')
    this.#signalRun('SIGTERM')
    this.#killTimer = setTimeout(() => this.#signalRun('SIGKILL'), Math.max(0, this.#killDeadline - Date.now()))
  }

  async #onLeaderExit(exitCode: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (this.#phase === 'exiting' || this.#phase === 'exited') return
    if (this.#phase === 'starting') this.#onSpawn()
    this.#phase = 'exiting'
    clearTimeout(this.#timeoutTimer)
    clearInterval(this.#sampleTimer)
    this.#child?.stdin?.destroy()
    try {
      await this.#killLeftovers()
    } catch {
      // /proc unreadable: the SIGKILL has been sent; only the wait for it was lost.
    }
    clearTimeout(this.#killTimer)
    this.#finish({ exitCode, signal })
  }

  /**
   * Nothing of a run outlives its 'exited' event. A leftover (a background job, a grandchild whose
   * parent died) would be unsupervised: it would keep the log open and growing after the run is
   * final, hold its memory, and escape pause, stop and delete, which only know the run. After a
   * stop, leftovers get what remains of the grace period to finish their own SIGTERM handling.
   * Zombies do not count: they no longer run, and only their parent (often PID 1) can reap them.
   */
  async #killLeftovers(): Promise<void> {
    if (this.#terminating) await this.#waitForLeftovers(this.#killDeadline)
    this.#signalRun('SIGKILL')
    await this.#waitForLeftovers(Date.now() + LEFTOVER_WAIT_MS)
  }

  /**
   * Resolves once no process of the run is alive, or at the deadline. Polls because there is no
   * event for the death of a process that is not our child.
   */
  async #waitForLeftovers(deadline: number): Promise<void> {
    for (let pollMs = 2; ; pollMs = Math.min(pollMs * 2, MAX_POLL_MS)) {
      if (this.#escaped.size === 0 && !signalGroup(this.pid, 0)) return
      const table = await readProcTable()
      if (!table.some((entry) => this.#isLeftover(entry))) return
      const left = deadline - Date.now()
      if (left <= 0) return
      await delay(Math.min(pollMs, left))
    }
  }

  #isLeftover(entry: ProcEntry): boolean {
    return isLive(entry) && (entry.pgrp === this.pid || this.#escaped.get(entry.pid) === entry.startTicks)
  }

  /** The group, plus the descendants that left it and are still the same processes. */
  #signalRun(signal: NodeJS.Signals): void {
    signalGroup(this.pid, signal)
    this.#pruneEscaped()
    // One by one, never as a group: a group number outlives its leader, and once that leader is
    // gone nothing proves the group is still the one the run made.
    for (const pid of this.#escaped.keys()) signalProcess(pid, signal)
  }

  /** Forgets escaped processes that ended, so a recycled pid is never taken for one of them. */
  #pruneEscaped(): void {
    for (const [pid, startTicks] of this.#escaped) {
      const entry = readEntrySync(pid)
      if (entry?.startTicks !== startTicks || !isLive(entry)) this.#escaped.delete(pid)
    }
  }

  async #sample(maxTableAgeMs: number): Promise<void> {
    if (this.#sampling || this.#phase !== 'running') return
    this.#sampling = true
    let rssBytes: number | null = null
    try {
      rssBytes = await treeRssBytes(await this.#scanTree(maxTableAgeMs))
    } catch {
      // /proc unreadable this time: skip the sample rather than report a wrong one.
    } finally {
      this.#sampling = false
    }
    // The run may have ended during the scan; 'exited' must stay the last event.
    if (rssBytes !== null && this.#phase === 'running') this.#emit({ type: 'sample', rssBytes, at: Date.now() })
  }

  /** Also refreshes #escaped. maxTableAgeMs 0 = a fresh read of /proc. */
  async #scanTree(maxTableAgeMs = 0): Promise<ProcEntry[]> {
    const table = maxTableAgeMs > 0 ? await this.#procTable.read(maxTableAgeMs) : await readProcTable()
    const tree = selectProcessTree(table, this.pid)
    // Checked one by one, not against the table: a shared table may predate a recorded process.
    this.#pruneEscaped()
    for (const entry of tree) {
      if (entry.pgrp !== this.pid && isLive(entry)) this.#escaped.set(entry.pid, entry.startTicks)
    }
    return tree
  }

  #describeSpawnError(error: NodeJS.ErrnoException): string {
    // libuv reports a missing cwd as the command's ENOENT ("spawn sh ENOENT"), which misleads.
    if (error.code === 'ENOENT' && !isDirectory(this.#spec.cwd)) {
      return `${error.message} (working directory ${this.#spec.cwd} does not exist)`
    }
    return error.message
  }

  #finish(exit: Exit): void {
    if (this.#phase === 'exited') return
    this.#phase = 'exited'
    clearTimeout(this.#timeoutTimer)
    clearTimeout(this.#killTimer)
    clearInterval(this.#sampleTimer)
    try {
      this.#emit({
        type: 'exited',
        exitCode: exit.exitCode,
        signal: exit.signal,
        reason: this.#reason,
        at: Date.now(),
        ...(exit.spawnError === undefined ? {} : { spawnError: exit.spawnError }),
      })
    } finally {
      this.#exited.resolve()
    }
  }

  #emit(event: RunEvent): void {
    this.#onEvent(event)
  }
}

function readEntrySync(pid: number): ProcEntry | null {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'))
  } catch {
    return null
  }
}

function isDirectory(path: string): boolean {
  try {
    return fs.statSync(path).isDirectory()
  } catch {
    return false
  }
}
