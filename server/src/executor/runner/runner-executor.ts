/**
 * An Executor that starts run processes in a small child process, the runner (runner-main.ts),
 * instead of in the server. Why: fork(), hence child_process.spawn(), costs more the bigger the
 * calling process is, and it blocks the caller's event loop — about 3.4 ms per spawn from the
 * ≈130 MB server against 1.7 ms from a small process. The runner uses the local executor, so runs
 * behave exactly as with createLocalExecutor: same process groups, log files, signals, samples.
 *
 * - One runner at a time, forked with process.execPath. If it dies, every run it had gets its
 *   'exited' event (exitCode null, reason 'exit'; lostReason RUNNER_LOST_RUN for a run whose
 *   process had started, so it is recorded abnormal, spawnError RUNNER_DIED for one not yet
 *   started) and their processes are killed as after a crash (killOrphanedRun); the next start()
 *   forks a new runner. No run is left 'running' with nobody supervising it.
 * - If the server dies, the runner exits at once and leaves the runs alone (runner-main.ts); the
 *   server's start-up recovery ends them as after any server crash.
 * - The runner keeps the server's event loop alive only while runs are active (the child and its
 *   IPC channel are ref'd then, unref'd otherwise); close() stops the active runs and ends it.
 * - isGroupAlive and killOrphanedRun act from the server (no runner needed after a crash); the
 *   runner is told which containment the server detected, so both address the same cgroups.
 * - RunHandle.pid is 0 until the run's 'started' event has been delivered, then the run's pid
 *   (its process group). The dispatcher takes the pid from the 'started' event, never the handle.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Executor, RunEvent, RunHandle, RunSpec } from '../executor.ts'
import { createLocalExecutor, type LocalExecutor, type LocalExecutorOptions } from '../local/local-executor.ts'
import { RUNNER_DIED, RUNNER_LOST_RUN, type FromRunner, type RunnerSettings, type ToRunner } from './protocol.ts'

export interface RunnerExecutorOptions extends LocalExecutorOptions {
  /**
   * Node options for the runner. Default RUNNER_EXEC_ARGV; the server's own (--test, --cpu-prof…)
   * are never passed on.
   */
  execArgv?: readonly string[]
}

export interface RunnerExecutor extends Executor {
  /** Stops the active runs (as RunHandle.stop() does), then ends the runner. start() then only reports errors. */
  close(): Promise<void>
  /** The current runner's pid; null when none runs (before the first start after a death, or closed). */
  readonly runnerPid: number | null
}

const RUNNER_MAIN = fileURLToPath(new URL('./runner-main.ts', import.meta.url))

/**
 * A 1 MiB young generation (default 16): every fork() copies the page tables of what the runner
 * has touched and then takes a copy-on-write fault on each page it writes next, and a small
 * semi-space keeps re-using the same few pages. Measured: 15–20 % less CPU per spawn and 30 MB
 * less RSS for a spawn loop (issue 10, docs/benchmarks.md).
 */
export const RUNNER_EXEC_ARGV: readonly string[] = ['--max-semi-space-size=1']

/**
 * Forks the first runner and resolves once it is ready; rejects if it cannot start, so a server
 * that could never run anything fails at start-up rather than at its first run.
 */
export async function createRunnerExecutor(options: RunnerExecutorOptions = {}): Promise<RunnerExecutor> {
  const execArgv = [...(options.execArgv ?? RUNNER_EXEC_ARGV)]
  // Detects the containment once, here; the runner is told the result, so both always agree.
  const local = createLocalExecutor({
    ...(options.installation === undefined ? {} : { installation: options.installation }),
    containment: options.containment ?? 'auto',
  })
  const settings: RunnerSettings = { containment: local.containmentKind, key: local.installationKey }
  let current: RunnerConnection | null = null
  let closed = false
  let nextId = 1

  const connection = (): RunnerConnection => {
    if (current === null || current.dead) {
      const created: RunnerConnection = new RunnerConnection(execArgv, settings, local, () => {
        if (current === created) current = null
      })
      current = created
    }
    return current
  }

  await connection().ready

  return {
    start(spec: RunSpec, onEvent: (event: RunEvent) => void): RunHandle {
      const run = new RemoteRun(nextId++, spec.runId, onEvent)
      if (closed) {
        run.failLater('the executor is closed')
        return run
      }
      let runner: RunnerConnection
      try {
        runner = connection()
      } catch (error) {
        run.failLater(`cannot start the runner process: ${error instanceof Error ? error.message : String(error)}`)
        return run
      }
      runner.start(run, spec)
      return run
    },
    containment: local.containment,
    isolation: local.isolation,
    canLimitMemory: local.canLimitMemory,
    isGroupAlive: (pgid) => local.isGroupAlive(pgid),
    killOrphanedRun: (runId, pgid) => local.killOrphanedRun(runId, pgid),
    async close() {
      closed = true
      const runner = current
      if (runner) await runner.close()
    },
    get runnerPid() {
      return current?.pid ?? null
    },
  }
}

/** One runner process: its channel, the messages held until it is ready, the runs it has. */
class RunnerConnection {
  readonly #child: ChildProcess
  readonly #runs = new Map<number, RemoteRun>()
  readonly #onDeath: () => void
  readonly #local: LocalExecutor
  /** Messages sent before 'ready'. */
  #pending: ToRunner[] | null = []
  #dead = false
  readonly #ready = Promise.withResolvers<void>()
  readonly #gone = Promise.withResolvers<void>()

  constructor(execArgv: string[], settings: RunnerSettings, local: LocalExecutor, onDeath: () => void) {
    this.#onDeath = onDeath
    this.#local = local
    // Throws only for invalid arguments or when the OS refuses outright; the caller handles it.
    this.#child = fork(RUNNER_MAIN, [JSON.stringify(settings)], {
      execArgv,
      execPath: process.execPath,
      // stdout/stderr shared with the server, so a crash of the runner is visible in its log.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    })
    // Rejections are observed by createRunnerExecutor (first runner) or not at all (later ones,
    // whose queued runs learn of a failure through their 'exited' event).
    this.#ready.promise.catch(() => {})
    this.#child.on('message', (message) => this.#onMessage(message as FromRunner))
    // Gone once it has exited and its channel is closed: 'disconnect' comes after every message it
    // sent has been delivered, so a run that ended just before the runner died keeps its own
    // 'exited'. ('close' is not enough: Node does not emit it after a disconnect() of our own.)
    this.#child.once('exit', () => {
      if (!this.#child.connected) this.#die()
    })
    this.#child.once('disconnect', () => {
      if (this.#child.exitCode !== null || this.#child.signalCode !== null) this.#die()
    })
    this.#child.once('close', () => this.#die())
    this.#child.on('error', () => {
      // A spawn failure (no pid): no 'exit' or 'close' may follow. Other errors are failed sends,
      // which 'close' covers.
      if (this.#child.pid === undefined) this.#die()
    })
    this.#updateRef()
  }

  get ready(): Promise<void> {
    return this.#ready.promise
  }

  get dead(): boolean {
    return this.#dead
  }

  get pid(): number | null {
    return this.#dead ? null : (this.#child.pid ?? null)
  }

  start(run: RemoteRun, spec: RunSpec): void {
    this.#runs.set(run.id, run)
    run.attach(this)
    this.#updateRef()
    this.send({ type: 'start', id: run.id, spec })
  }

  send(message: ToRunner): void {
    if (this.#dead) return
    if (this.#pending) {
      this.#pending.push(message)
      return
    }
    // Errors (channel closed) come to the callback; the runner's death is handled by 'close'.
    this.#child.send(message, undefined, undefined, () => {})
  }

  forget(run: RemoteRun): void {
    if (this.#runs.get(run.id) !== run) return
    this.#runs.delete(run.id)
    this.#updateRef()
  }

  /** Stops every run it has, then closes the channel, upon which the runner exits. */
  async close(): Promise<void> {
    // Held by the awaited stops and the exit itself, not only by the runs that may be finished already.
    this.#ref(true)
    await Promise.all([...this.#runs.values()].map((run) => run.stop()))
    if (!this.#dead && this.#child.connected) this.#child.disconnect()
    await this.#gone.promise
  }

  #onMessage(message: FromRunner): void {
    if (message.type === 'ready') {
      const pending = this.#pending ?? []
      this.#pending = null
      for (const queued of pending) this.send(queued)
      this.#updateRef()
      this.#ready.resolve()
      return
    }
    this.#runs.get(message.id)?.deliver(message.event)
  }

  #die(): void {
    if (this.#dead) return
    this.#dead = true
    this.#pending = null
    this.#onDeath()
    this.#ready.reject(new Error(`${RUNNER_DIED} before it was ready (exit code ${this.#child.exitCode}, signal ${this.#child.signalCode})`))
    const runs = [...this.#runs.values()]
    this.#runs.clear()
    // Its runs are nobody's now: kill them before reporting them over, so nothing keeps running
    // unsupervised. With cgroups even a run whose 'started' had not arrived is found by its id.
    for (const run of runs) void this.#local.killOrphanedRun(run.runId, run.pid > 0 ? run.pid : null)
    this.#ref(false)
    try {
      // A run whose process had started was lost, not unstartable: recorded abnormal with the cause.
      for (const run of runs) {
        const lost = run.pid > 0 ? { lostReason: RUNNER_LOST_RUN } : { spawnError: RUNNER_DIED }
        run.deliver({ type: 'exited', exitCode: null, signal: null, reason: 'exit', at: Date.now(), ...lost })
      }
    } finally {
      this.#gone.resolve()
    }
  }

  /** Held while it boots (someone awaits 'ready') and while runs are active; otherwise it must not keep the server up. */
  #updateRef(): void {
    this.#ref(this.#pending !== null || this.#runs.size > 0)
  }

  #ref(on: boolean): void {
    if (this.#dead) return
    if (on) {
      this.#child.ref()
      this.#child.channel?.ref()
    } else {
      this.#child.unref()
      this.#child.channel?.unref()
    }
  }
}

/** The server's handle on a run that lives in the runner. */
class RemoteRun implements RunHandle {
  readonly id: number
  readonly runId: number
  readonly #onEvent: (event: RunEvent) => void
  #runner: RunnerConnection | null = null
  #pid = 0
  #done = false
  readonly #exited = Promise.withResolvers<void>()

  constructor(id: number, runId: number, onEvent: (event: RunEvent) => void) {
    this.id = id
    this.runId = runId
    this.#onEvent = onEvent
  }

  /** 0 until 'started' has been delivered (the process is spawned in the runner), then its pid. */
  get pid(): number {
    return this.#pid
  }

  attach(runner: RunnerConnection): void {
    this.#runner = runner
  }

  /** For runs that never reach a runner: reported as a spawn error, never from inside start(). */
  failLater(spawnError: string): void {
    setImmediate(() => this.deliver({ type: 'exited', exitCode: null, signal: null, reason: 'exit', at: Date.now(), spawnError }))
  }

  deliver(event: RunEvent): void {
    if (this.#done) return
    if (event.type === 'started') this.#pid = event.pid
    if (event.type !== 'exited') {
      this.#onEvent(event)
      return
    }
    this.#done = true
    this.#runner?.forget(this)
    try {
      this.#onEvent(event)
    } finally {
      this.#exited.resolve()
    }
  }

  pause(): void {
    this.#send({ type: 'pause', id: this.id })
  }

  resume(): void {
    this.#send({ type: 'resume', id: this.id })
  }

  stop(): Promise<void> {
    this.#send({ type: 'stop', id: this.id })
    return this.#exited.promise
  }

  writeInput(text: string): void {
    this.#send({ type: 'input', id: this.id, text })
  }

  closeInput(): void {
    this.#send({ type: 'close-input', id: this.id })
  }

  #send(message: ToRunner): void {
    if (!this.#done) this.#runner?.send(message)
  }
}
