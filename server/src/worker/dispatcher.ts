/**
 * The dispatcher is this node's worker: it claims queued runs in priority order within the
 * concurrency limit, hands each to the executor, and persists what the executor reports. It
 * implements services' run-control contract (wake, pause, resume, stop, input); the database
 * decisions of those actions stay with the services.
 */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { Clock } from '../domain/clock.ts'
import type { Run } from '../domain/run.ts'
import type { Task } from '../domain/task.ts'
import { runOutcome, type ProcessOutcome } from '../domain/run-outcome.ts'
import type { Environments, RunEnvironment } from '../environments/environments.ts'
import type { EventBus } from '../events/events.ts'
import type { Executor, RunEvent, RunHandle, RunSpec } from '../executor/executor.ts'
import type { RunAccount, RunAccounts } from '../domain/run-account.ts'
import type { DataPaths } from '../lib/paths.ts'
import { startPausableDeadline, type DeadlineTimers, type PausableDeadline } from '../lib/pausable-deadline.ts'
import type { LogStore } from '../logs/log-store.ts'
import { TaskyardError } from '../domain/errors.ts'
import type { Store } from '../store/store.ts'
import { claimRunToStart, claimRunToStartIn, type ClaimToStart } from '../services/claim-next-run.ts'
import { closeRun } from '../services/close-run.ts'
import type { ClaimedInTransaction, RunControl } from '../services/run-control.ts'
import { buildRemoteRunSpec, hasFiles } from './build-remote-run-spec.ts'
import { buildRunSpec } from './build-run-spec.ts'

export interface DispatcherDeps {
  store: Store
  executor: Executor
  environments: Environments
  clock: Clock
  bus: EventBus
  paths: DataPaths
  logs: LogStore
  workerId: string
  /** Resolves a task's run_as; absent = runs never switch account (tests of other things). */
  accounts?: RunAccounts
  /**
   * Creates the run's output folder and gives it and the task directory to the run's account;
   * absent = only creates the folder.
   */
  prepareRunDirs?(dirs: { taskDir: string; taskOutputsDir: string; outputDir: string; account: RunAccount | null }): Promise<void>
  /**
   * The executor of a task that runs on a registered server (issue 12), or null: this machine's.
   * Absent = every run is local.
   */
  /** serverId: the task's server as read with the task (null: none); the executor need not read it again. */
  remoteExecutorFor?(taskId: number, serverId: number | null): Promise<Executor | null>
  /** After the run: the task's folders go back to the server, out of reach of other tasks' runs. */
  releaseRunDirs?(dirs: { taskDir: string; taskOutputsDir: string }): Promise<void>
  settings: {
    /** TASKYARD_MAX_WORKERS: runs at once across the database's servers while no admin set one; null = no limit. */
    maxWorkers: number | null
    /**
     * How often the node looks for queued runs nobody woke it for (a run of another server on the
     * same database ended, freeing a slot); absent = only when woken. Starts at the first wake().
     */
    pollIntervalMs?: number
    runTimeoutMs: number | null
    killGraceMs: number
    sampleIntervalMs: number
    /** What runs inherit of the server's environment (config's allowlisted runEnv). */
    childEnv: Readonly<Record<string, string>>
    /** The account runs get unless their task names one; null = the server's own. */
    runAccount?: RunAccount | null
    /** TASKYARD_MAX_LOG_BYTES. */
    maxLogBytes?: number
    /** Give runs a mount namespace hiding the data directory. */
    isolate?: boolean
    /** …and these directories too (the database's socket, database-guard.ts). */
    alsoHidden?: readonly string[]
    /** Runs on a registered server (spec 001): their timeout (default 300 s; null = none) and output cap (default 10 MiB). */
    shell?: { timeoutMs: number | null; maxOutputBytes: number }
  }
  onError(error: unknown, context: string): void
  /** The timers of task timeouts; tests inject fake ones. Default: the real ones. */
  timers?: DeadlineTimers
}

const realTimers: DeadlineTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

interface Supervised {
  run: Run
  handle: RunHandle | null
  /** Asked for between the claim and the spawn; applied as soon as the process exists. */
  pending: { stop: boolean; paused: boolean }
  peakRssBytes: number
  rssSum: number
  samples: number
  /** What the executor measured itself ('exited'): the cgroup's peak and whether output was cut. */
  exitInfo: { peakRssBytes: number | undefined; outputTruncated: boolean }
  /** Event handling is chained so 'exited' is never persisted before 'started'. */
  chain: Promise<void>
  exited: Promise<void>
  markExited: () => void
  /** The task's timeout_seconds, ms; null = none. */
  timeoutMs: number | null
  /** Counts the run's running time against timeoutMs from its start; paused time is not counted. */
  deadline: PausableDeadline | null
  /** Paused by pause() and not resumed since (the deadline, armed at start, begins paused then). */
  paused: boolean
  /** stop() was asked: a deadline that passes during the kill grace does not rename the ending. */
  stopAsked: boolean
  /** The deadline passed and ended the run: its 'stopped' ending is a 'timeout'. */
  timedOut: boolean
  /** closeInput() was done: further input is refused. */
  inputClosed: boolean
}

/** The worker as main.ts holds it: services' run control, and the shutdown only the composition root calls. */
export interface Dispatcher extends RunControl {
  /**
   * Server shutdown: starts no further run, lets the supervised ones finish for up to `graceMs`,
   * then stops those still going (recorded abnormal with `reason`) and waits until each end is
   * persisted. A run that ends by itself within the grace keeps its own outcome.
   */
  shutdown(reason: string, graceMs?: number): Promise<void>
}

/** Backoff of a write that must become durable, and of a pump that found the database busy. */
const FIRST_RETRY_MS = 50
const MAX_RETRY_MS = 2_000

/** spec 001: "每个任务有默认超时时间（如300秒）", and an output cap; config.ts's defaults too. */
const DEFAULT_SHELL_TIMEOUT_MS = 300_000
const DEFAULT_SHELL_MAX_OUTPUT_BYTES = 10 * 1024 * 1024

const isTransient = (error: unknown): boolean => error instanceof TaskyardError && error.code === 'database_busy'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const supervised = new Map<number, Supervised>()

  /**
   * A run's start and end are facts: dropping one leaves a run 'running' with no process, for
   * ever. While the database is busy (another process's lock, PostgreSQL away) the write is
   * retried with backoff until it is durable; anything else is a bug and is thrown.
   */
  async function durably<T>(what: string, write: () => Promise<T>): Promise<T> {
    let waitMs = FIRST_RETRY_MS
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await write()
        if (attempt > 1) deps.onError(new Error(`written after ${attempt} attempts`), what)
        return result
      } catch (error) {
        if (!isTransient(error)) throw error
        // Logged at the first failure and then now and again, not at every attempt.
        if (attempt === 1 || attempt % 20 === 0) {
          const reason = (error as TaskyardError).details.error ?? (error as Error).message
          deps.onError(new Error(`${String(reason)}; retrying until it is written`), `${what} (attempt ${attempt})`)
        }
        await sleep(waitMs)
        waitMs = Math.min(waitMs * 2, MAX_RETRY_MS)
      }
    }
  }
  /** Runs this node stops on purpose at shutdown: recorded as abnormal, with this reason. */
  let shutdownReason: string | null = null

  /** The pump in progress, so shutdown can wait for a claim that is under way. */
  let pumping: Promise<void> | null = null
  let pumpAgain = false

  function pump(): Promise<void> {
    if (pumping) {
      pumpAgain = true
      return pumping
    }
    pumping = (async () => {
      try {
        do {
          pumpAgain = false
          if (supervised.size > 0 && shutdownReason == null) await applyRequests()
          while (shutdownReason == null) {
            // The limit is the database's (every server's runs count): the claim checks it.
            const { claimed, full } = await claimRunToStart(deps.store, deps.workerId, deps.clock.now(), deps.settings.maxWorkers)
            if (!claimed) {
              // Every slot taken: a retry's not-before time can wait until one frees (that wakes
              // this pump, or its poll does), then the claim that finds nothing arms the timer.
              if (!full) await armNotBefore()
              break
            }
            if (shutdownReason != null) {
              // Shutdown began during the claim: give the run back untouched for the next start.
              await release(claimed.run.id)
              break
            }
            await startRun(claimed)
            // Issue 10: that claim took the last slot, so another would find none; a run that ends
            // meanwhile wakes the pump again (pumpAgain).
            if (full) break
          }
        } while (pumpAgain)
      } finally {
        pumping = null
      }
    })()
    return pumping
  }

  /** A claimed run this node will not start (shutdown began): queued again, untouched, for the next start. */
  function release(runId: number): Promise<unknown> {
    return durably(`run ${runId} release`, () => deps.store.runs.update(runId, { status: 'queued', workerId: null, startedAt: null }))
  }

  /** Runs claimed in a caller's transaction and given back at shutdown: shutdown waits for them. */
  const releasing = new Set<Promise<unknown>>()

  /** RunControl.claimWithin: the pump's claim, in the caller's transaction; the start after its commit. */
  async function claimWithin(tx: Parameters<NonNullable<RunControl['claimWithin']>>[0]): Promise<ClaimedInTransaction | null> {
    if (shutdownReason != null) return null
    const { claimed }: ClaimToStart = await claimRunToStartIn(tx, deps.workerId, deps.clock.now(), deps.settings.maxWorkers)
    if (!claimed) return null
    return {
      runId: claimed.run.id,
      start() {
        if (shutdownReason != null) {
          const released = release(claimed.run.id).catch((e) => deps.onError(e, `run ${claimed.run.id} release`))
          releasing.add(released)
          void released.finally(() => releasing.delete(released))
          return
        }
        startRun(claimed).catch((e) => deps.onError(e, `run ${claimed.run.id} start`))
      },
    }
  }

  async function startRun({ run, task, serverId }: { run: Run; task: Task; serverId: number | null }): Promise<void> {
    let markExited!: () => void
    const exited = new Promise<void>((resolve) => (markExited = resolve))
    const entry: Supervised = {
      run,
      handle: null,
      pending: { stop: false, paused: false },
      peakRssBytes: 0,
      rssSum: 0,
      samples: 0,
      exitInfo: { peakRssBytes: undefined, outputTruncated: false },
      chain: Promise.resolve(),
      exited,
      markExited,
      timeoutMs: null,
      deadline: null,
      paused: false,
      stopAsked: false,
      timedOut: false,
      inputClosed: false,
    }
    supervised.set(run.id, entry)
    try {
      entry.timeoutMs = task.timeoutSeconds == null ? null : task.timeoutSeconds * 1000
      const remote = deps.remoteExecutorFor ? await durably(`run ${run.id} server`, () => deps.remoteExecutorFor!(task.id, serverId)) : null
      if (remote) {
        startOn(
          entry,
          remote,
          buildRemoteRunSpec({
            run,
            task,
            logPath: deps.logs.appendTarget(run.id).path,
            streamPaths: deps.logs.streamTargets(run.id),
            // A task with files (spec 000's upload) has them copied over SFTP for each run.
            uploadDir: hasFiles(task) ? deps.paths.taskDir(task.id) : null,
            settings: remoteSettings(),
          }),
        )
        return
      }
      const account = await runAccountOf(task.runAs)
      const environment = await withNode(await deps.environments.runEnvironment(task.condaEnv), task.nodeVersion)
      const taskDir = deps.paths.taskDir(task.id)
      const outputDir = deps.paths.runOutputDir(task.id, run.id)
      const taskOutputsDir = deps.paths.taskOutputsDir(task.id)
      if (deps.prepareRunDirs) await deps.prepareRunDirs({ taskDir, taskOutputsDir, outputDir, account })
      else await mkdir(outputDir, { recursive: true })
      const spec = buildRunSpec({
        run,
        task,
        environment,
        account,
        dirs: { dataDir: deps.paths.root, taskDir, outputDir, logPath: deps.logs.appendTarget(run.id).path, envsDir: deps.paths.envsDir },
        settings: {
          baseEnv: deps.settings.childEnv,
          runTimeoutMs: deps.settings.runTimeoutMs,
          killGraceMs: deps.settings.killGraceMs,
          sampleIntervalMs: deps.settings.sampleIntervalMs,
          maxLogBytes: deps.settings.maxLogBytes ?? Number.MAX_SAFE_INTEGER,
          isolate: deps.settings.isolate ?? false,
          alsoHidden: deps.settings.alsoHidden ?? [],
        },
      })
      startOn(entry, deps.executor, spec)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      await finish(entry, { exitCode: null, signal: null, reason: 'exit', spawnError: message }, deps.clock.now())
    }
  }

  function startOn(entry: Supervised, executor: Executor, spec: RunSpec): void {
    const runId = entry.run.id
    entry.handle = executor.start(spec, (event) => {
      // Stamped on arrival with the one clock of the run's times: its start and its end (and so
      // its duration) never mix the executor's clock (another process, for 'runner') with ours.
      const at = deps.clock.now()
      entry.chain = entry.chain.then(() => onEvent(entry, event, at)).catch((e) => deps.onError(e, `run ${runId} ${event.type}`))
    })
    if (entry.pending.stop) void entry.handle.stop()
    else if (entry.pending.paused) entry.handle.pause()
  }

  const remoteSettings = () => ({
    timeoutMs: deps.settings.shell ? deps.settings.shell.timeoutMs : DEFAULT_SHELL_TIMEOUT_MS,
    killGraceMs: deps.settings.killGraceMs,
    sampleIntervalMs: deps.settings.sampleIntervalMs,
    maxOutputBytes: deps.settings.shell?.maxOutputBytes ?? DEFAULT_SHELL_MAX_OUTPUT_BYTES,
  })

  /** A task's own run_as wins over the server's default; a user removed since fails the run with the reason. */
  /** Issue 9: the task's Node.js (node_version) on the run's PATH, right after the environment's own directories. */
  async function withNode(environment: RunEnvironment, nodeVersion: string | null | undefined): Promise<RunEnvironment> {
    if (nodeVersion == null) return environment
    const nodes = await deps.environments.nodes()
    const node = nodes.get(nodeVersion)
    if (!node) throw new Error(`the task's node_version ${nodeVersion} is not installed any more (available: ${[...nodes.keys()].join(', ') || 'none'})`)
    return { ...environment, pathPrefix: [...environment.pathPrefix, path.dirname(node.path)] }
  }

  async function runAccountOf(runAs: string | null): Promise<RunAccount | null> {
    if (runAs == null) return deps.settings.runAccount ?? null
    if (!deps.accounts?.canSwitch) throw new Error(`the task's run_as '${runAs}' needs the server to run as root`)
    const account = await deps.accounts.resolve(runAs)
    if (!account) throw new Error(`the task's run_as user '${runAs}' does not exist on this host`)
    return account
  }

  /** `at` is when the event arrived, by deps.clock. */
  async function onEvent(entry: Supervised, event: RunEvent, at: number): Promise<void> {
    const runId = entry.run.id
    if (event.type === 'started') {
      startDeadline(entry)
      await durably(`run ${runId} start`, () => deps.store.runs.update(runId, { pid: event.pid, startedAt: at }))
      deps.bus.emit('run:started', { runId, taskId: entry.run.taskId, pid: event.pid, at })
    } else if (event.type === 'sample') {
      entry.peakRssBytes = Math.max(entry.peakRssBytes, event.rssBytes)
      entry.rssSum += event.rssBytes
      entry.samples += 1
    } else {
      entry.exitInfo = { peakRssBytes: event.peakRssBytes, outputTruncated: event.outputTruncated === true }
      await finish(
        entry,
        {
          exitCode: event.exitCode,
          signal: event.signal,
          reason: event.reason,
          ...(event.spawnError ? { spawnError: event.spawnError } : {}),
          ...(event.lostReason ? { lostReason: event.lostReason } : {}),
        },
        at,
      )
    }
  }

  /** Issue 8: the task's timeout counts from the process's start, and only while it is not paused. */
  function startDeadline(entry: Supervised): void {
    if (entry.timeoutMs == null || entry.deadline || entry.stopAsked) return
    entry.deadline = startPausableDeadline({
      limitMs: entry.timeoutMs,
      now: () => deps.clock.now(),
      timers: deps.timers ?? realTimers,
      onExpire() {
        if (entry.stopAsked || !entry.handle) return
        entry.timedOut = true
        entry.handle.stop().catch((e) => deps.onError(e, `run ${entry.run.id} timeout`))
      },
    })
    if (entry.paused) entry.deadline.pause()
  }

  /** `endedAt` is the instant the process ended (by deps.clock), however late the write succeeds. */
  async function finish(entry: Supervised, outcome: ProcessOutcome, endedAt: number): Promise<void> {
    const runId = entry.run.id
    entry.deadline?.cancel()
    if (entry.timedOut && !entry.stopAsked && outcome.reason === 'stopped') outcome = { ...outcome, reason: 'timeout' }
    let { status, error } = runOutcome(outcome)
    if (shutdownReason != null && outcome.reason === 'stopped') {
      status = 'abnormal'
      error = shutdownReason
    }
    try {
      await durably(`run ${runId} end`, () =>
        closeRun(deps.store, entry.run, {
          status,
          error,
          endedAt,
          exitCode: outcome.exitCode,
          signal: outcome.signal,
          // The cgroup's peak, when the executor had one, covers what sampling misses (sub-second runs).
          peakRssBytes: entry.exitInfo.peakRssBytes ?? (entry.samples > 0 ? entry.peakRssBytes : null),
          avgRssBytes: entry.samples > 0 ? Math.round(entry.rssSum / entry.samples) : null,
          outputTruncated: entry.exitInfo.outputTruncated,
        }),
      )
    } finally {
      if (deps.releaseRunDirs) {
        const taskId = entry.run.taskId
        await deps
          .releaseRunDirs({ taskDir: deps.paths.taskDir(taskId), taskOutputsDir: deps.paths.taskOutputsDir(taskId) })
          .catch((e) => deps.onError(e, `run ${runId} folders`))
      }
      supervised.delete(runId)
      entry.markExited()
      deps.bus.emit('run:finished', { runId, taskId: entry.run.taskId, status })
      deps.bus.emit('task:changed', { taskId: entry.run.taskId })
      wake()
    }
  }

  /**
   * Issue 8: a backed-off retry is queued with a not-before time the claim honours; one timer,
   * armed for the earliest such time after each pump that found nothing to claim, wakes the
   * worker then (the poll would too, a second late; other servers' retries arm theirs).
   */
  const timers = deps.timers ?? realTimers
  let notBeforeTimer: { handle: unknown; at: number } | null = null
  async function armNotBefore(): Promise<void> {
    const at = shutdownReason == null ? await deps.store.runs.nextNotBefore(deps.clock.now()) : null
    if (notBeforeTimer?.at === at) return
    if (notBeforeTimer) timers.clearTimeout(notBeforeTimer.handle)
    notBeforeTimer = null
    if (at == null) return
    // setTimeout's longest delay is 2^31-1 ms; a later time re-arms when this one fires.
    const handle = timers.setTimeout(
      () => {
        notBeforeTimer = null
        wake()
      },
      Math.min(Math.max(at - deps.clock.now(), 0), 2 ** 31 - 1),
    )
    ;(handle as { unref?: () => void }).unref?.()
    notBeforeTimer = { handle, at }
  }

  /**
   * Issue 8: what other servers asked of runs this node supervises (runs.requested_action),
   * applied here, where the processes are; then cleared, unless a newer request came meanwhile.
   */
  async function applyRequests(): Promise<void> {
    for (const run of await deps.store.runs.listRequested(deps.workerId)) {
      const action = run.requestedAction
      if (!action || !supervised.has(run.id)) continue
      if (action === 'stop') control.stop(run.id).catch((e) => deps.onError(e, `run ${run.id} requested stop`))
      else if (action === 'pause') control.pause(run.id)
      else control.resume(run.id)
      await deps.store.runs.clearRequest(run.id, action)
    }
  }

  let retryTimer: NodeJS.Timeout | null = null
  let pollTimer: NodeJS.Timeout | null = null
  function wake(): void {
    if (pollTimer == null && deps.settings.pollIntervalMs != null && shutdownReason == null) {
      pollTimer = setInterval(wake, deps.settings.pollIntervalMs)
      pollTimer.unref()
    }
    pump().catch((e) => {
      deps.onError(e, 'dispatcher')
      // A claim the database refused leaves the run queued: look again soon, nobody else will.
      if (isTransient(e) && retryTimer == null && shutdownReason == null) {
        retryTimer = setTimeout(() => {
          retryTimer = null
          wake()
        }, MAX_RETRY_MS)
        retryTimer.unref()
      }
    })
  }

  const control: Dispatcher = {
    wake,
    claimWithin,
    pause(runId) {
      const entry = supervised.get(runId)
      if (!entry) return false
      if (entry.handle) entry.handle.pause()
      else entry.pending.paused = true
      entry.paused = true
      entry.deadline?.pause()
      return true
    },
    resume(runId) {
      const entry = supervised.get(runId)
      if (!entry) return false
      if (entry.handle) entry.handle.resume()
      else entry.pending.paused = false
      entry.paused = false
      entry.deadline?.resume()
      return true
    },
    async stop(runId) {
      const entry = supervised.get(runId)
      if (!entry) return
      if (!entry.timedOut) entry.stopAsked = true
      entry.deadline?.cancel()
      if (entry.handle) await entry.handle.stop()
      else entry.pending.stop = true
      await entry.exited
    },
    input(runId, text) {
      const entry = supervised.get(runId)
      if (!entry?.handle || entry.inputClosed) return false
      entry.handle.writeInput(text)
      return true
    },
    closeInput(runId) {
      const entry = supervised.get(runId)
      if (!entry?.handle || entry.inputClosed) return false
      entry.inputClosed = true
      entry.handle.closeInput()
      return true
    },
    isSupervising: (runId) => supervised.has(runId),
    async shutdown(reason, graceMs = 0) {
      shutdownReason = reason
      if (retryTimer) clearTimeout(retryTimer)
      if (pollTimer) clearInterval(pollTimer)
      if (notBeforeTimer) timers.clearTimeout(notBeforeTimer.handle)
      if (pumping) await pumping.catch(() => undefined)
      await Promise.all(releasing)
      if (graceMs > 0 && supervised.size > 0) {
        let timer: NodeJS.Timeout | undefined
        const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))
        await Promise.race([Promise.all([...supervised.values()].map((e) => e.exited)), graceOver])
        clearTimeout(timer)
      }
      await Promise.all([...supervised.keys()].map((id) => this.stop(id)))
    },
  }
  return control
}
