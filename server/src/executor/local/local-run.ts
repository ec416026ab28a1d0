import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import type { Readable } from 'node:stream'
import { setTimeout as delay } from 'node:timers/promises'
import type { ExitReason, RunEvent, RunHandle, RunSpec } from '../executor.ts'
import { findMarkedProcesses } from '../../lib/orphan-group.ts'
import { isLive, readProcEntrySync, readProcTable, readRssBytes, type ProcEntry } from '../../lib/proc-table.ts'
import type { Cgroups, RunCgroup } from './cgroups.ts'
import type { Isolation } from './isolation.ts'
import type { Launcher } from './launcher.ts'
import { selectProcessTree, treeRssBytes } from './process-tree.ts'
import type { SharedProcTable } from './shared-proc-table.ts'
import { signalGroup, signalProcess } from './signal-group.ts'
import { PERL_COPY_OUTPUT } from './perl-copy-output.ts'

/**
 * starting → running → exiting → exited. 'exiting' covers the time between the leader's death and
 * the 'exited' event, while leftovers are killed; nothing but 'exited' may be emitted from it.
 */
type Phase = 'starting' | 'running' | 'exiting' | 'exited'

type Exit = { exitCode: number | null; signal: NodeJS.Signals | null; spawnError?: string; lostReason?: string }

/** What the executor gives every run it starts. */
export interface LocalRunContext {
  procTable: SharedProcTable
  cgroups: Cgroups | null
  isolation: Isolation | null
  /** Starts isolated, non-interactive runs by fork from a pre-started Perl process (launcher.ts); null: spawn each. */
  launcher: Launcher | null
  /** Environment entries that let this installation find the run's processes again without cgroups. */
  markers(runId: number): Record<string, string>
}

/** A shorter interval would make the /proc scans themselves the load. */
const MIN_SAMPLE_INTERVAL_MS = 10
/** How long 'exited' may wait for SIGKILLed leftovers to die before it is reported anyway. */
const LEFTOVER_WAIT_MS = 2_000
const MAX_POLL_MS = 100

export const truncationMarker = (maxBytes: number): string =>
  `\n[taskyard] output truncated: the log reached its limit of ${maxBytes} bytes; later output was dropped\n`

/**
 * The output cap (RunSpec.maxOutputBytes). Without a cap the run writes its log itself through an
 * O_APPEND descriptor: nothing passes through the server, nothing is lost if it crashes. No kernel
 * mechanism caps one file without touching the others a run writes (RLIMIT_FSIZE applies to every
 * file and kills with SIGXFSZ), so a capped run writes into a pipe read by this copier instead:
 * one small shell started beside the run (in its cgroup, as its user), which keeps the two
 * properties — it appends to the log with the same descriptor and outlives a server crash — and
 * costs the server one more spawn per capped run, no bytes. `head -c` copies exactly the cap (it
 * never reads past the bytes it may write); stdbuf -o0 makes it write each read at once, so the
 * log can still be followed live (its stdio buffer would hold up to 4 KiB); one more byte
 * decides whether anything was dropped, and then the rest is drained so the run keeps running.
 * It ignores SIGTERM/SIGINT/SIGHUP so a stop does not cut off what the run writes while it
 * handles its own SIGTERM; it ends at EOF, when every process of the run has closed its output.
 * It is a process group of its own (detached), which is how its helpers are told apart from the
 * run's processes inside the cgroup.
 *
 * A run isolated by the Perl helper gets no copier from here: the helper forks the same copier
 * (as root, before the namespace and the uid switch; isolation.ts says why the run cannot touch
 * it) and reports its pid on fd 3 (forkedCopier). Every other capped run gets one spawned here.
 */
const COPIER = `trap '' TERM INT HUP
stdbuf -o0 head -c "$1" || exit 1
[ "$(dd bs=1 count=1 status=none | wc -c)" -eq 0 ] && exit 0
printf '%s' "$2"
cat >/dev/null
exit 3`

/**
 * The same copier as one Perl process (issue 10): the shell above costs sh, stdbuf, head and, at
 * the end, a subshell with dd and wc — 7.3 ms of CPU per run as measured — where this is one
 * process, 5.7 ms (most of it Perl's start-up; docs/benchmarks.md). Same behaviour: the signals ignored, exactly the cap copied with each read written at
 * once, one more byte decides, then the marker and the rest drained. Started with an environment
 * of PATH alone, so nothing of the run's reaches it.
 * Like the isolation helper it loads no module (errno by number: EINTR is 4).
 */
const PERL_COPIER = `$SIG{TERM} = $SIG{INT} = $SIG{HUP} = 'IGNORE';
${PERL_COPY_OUTPUT}copy_output(@ARGV);
`

const PERL = ['/usr/bin/perl', '/bin/perl'].find((candidate) => {
  try {
    fs.accessSync(candidate, fs.constants.X_OK)
    return true
  } catch {
    return false
  }
})

/** The copier's argv: Perl's where there is one, else the shell's. */
function copierArgv(maxOutput: number): string[] {
  const marker = truncationMarker(maxOutput)
  return PERL ? [PERL, '-e', PERL_COPIER, String(maxOutput), marker] : ['/bin/sh', '-c', COPIER, 'taskyard-output-cap', String(maxOutput), marker]
}

/**
 * A run's output copier as LocalRun sees it, whoever started it: a process of its own (spawned
 * here, a ChildProcess) or the one the isolation helper forks (its pid and its exit come over
 * the helper's fd 3, isolation.ts). Either way it is a process group of its own, spared from the
 * run's signals and samples until the run's other processes are gone.
 */
interface Copier {
  /** Undefined until known (a forked copier reports it a few milliseconds after the spawn). */
  readonly pid: number | undefined
  /** Settles once the pid is known, or once it is certain there is none. */
  readonly known: Promise<void>
  readonly exited: Promise<void>
  readonly hasExited: boolean
  /** SIGKILL, unless it has exited. */
  kill(): void
}

function spawnedCopier(child: ChildProcess): Copier {
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.once('error', () => resolve())
  })
  return {
    pid: child.pid,
    known: Promise.resolve(),
    exited,
    get hasExited() {
      return child.exitCode !== null || child.signalCode !== null
    },
    kill: () => void child.kill('SIGKILL'),
  }
}

/**
 * The helper's copier: it writes its pid as one line on fd 3 and holds fd 3 until it exits, so
 * end-of-file here is its exit (also by SIGKILL). Until then the pid cannot have been reused:
 * the process holding the descriptor is alive.
 */
function forkedCopier(report: Readable): Copier & { abandon(): void } {
  let pid: number | undefined
  let text = ''
  let closed = false
  const known = Promise.withResolvers<void>()
  const exited = Promise.withResolvers<void>()
  const close = (): void => {
    if (closed) return
    closed = true
    known.resolve()
    exited.resolve()
    report.destroy()
  }
  report.setEncoding('latin1')
  report.on('data', (chunk: string) => {
    if (pid !== undefined) return
    text += chunk
    const newline = text.indexOf('\n')
    if (newline < 0) return
    const reported = Number(text.slice(0, newline))
    if (Number.isSafeInteger(reported) && reported > 1) pid = reported
    known.resolve()
  })
  report.once('end', close)
  report.once('close', close)
  report.once('error', close)
  return {
    get pid() {
      return pid
    },
    known: known.promise,
    exited: exited.promise,
    get hasExited() {
      return closed
    },
    kill() {
      if (closed || pid === undefined) return
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Exited meanwhile: its end-of-file is on its way.
      }
    },
    /** The helper never started (spawn error): there is no copier. */
    abandon: close,
  }
}

/** The copier a launcher's supervisor forked: its pid comes with 'started', its end as an event. */
function launchedCopier(pid: number): Copier & { markExited(): void } {
  let exited = false
  const done = Promise.withResolvers<void>()
  return {
    pid,
    known: Promise.resolve(),
    exited: done.promise,
    get hasExited() {
      return exited
    },
    // Until its end is reported the pid is its own: the supervisor has not reaped it.
    kill() {
      if (exited) return
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Exited meanwhile.
      }
    },
    markExited() {
      exited = true
      done.resolve()
    },
  }
}

/**
 * One run. The leader is spawned with `detached: true`, so libuv calls setsid(): the run is a
 * session and a process group of its own (pgid = pid). With cgroups, the run's cgroup is what
 * every signal, freeze and memory figure addresses; without, the group plus the descendants that
 * left it (and, at stop, every process carrying the run's environment markers).
 */
export class LocalRun implements RunHandle {
  #pid = 0
  readonly #spec: RunSpec
  readonly #onEvent: (event: RunEvent) => void
  readonly #context: LocalRunContext
  readonly #child: ChildProcess | null
  readonly #cgroup: RunCgroup | null
  #copier: Copier | null = null
  /** Log size before this run wrote anything: past it + maxOutputBytes, the marker was written. */
  readonly #logStartSize: number
  /** A step after the spawn failed (the memory limit could not be set): the run is killed and reported as not started. */
  #setupError: string | undefined
  #phase: Phase = 'starting'
  #ending = false
  /** Set by the first of stop() and the timeout; a later one does not rename the ending. */
  #reason: ExitReason = 'exit'
  #terminating = false
  /** The grace ran out on a live process of a terminating run: SIGKILL is what ended it. */
  #sigkilled = false
  #killDeadline = 0
  #timeoutTimer: NodeJS.Timeout | undefined
  #killTimer: NodeJS.Timeout | undefined
  #sampleTimer: NodeJS.Timeout | undefined
  /** pause() froze the cgroup and no thaw has followed: the end must thaw before it kills. */
  #frozen = false
  #sampling = false
  /** The largest sample reported: a floor for the cgroup's figure (see #end). */
  #maxSampleBytes = 0
  /**
   * Without cgroups: descendants seen outside the run's group (they called setsid or setpgid), by
   * pid → start time. Once their parent dies they can no longer be traced to the run, so they are
   * remembered from the last tree scan; the start time keeps a recycled pid from being taken for one.
   */
  readonly #escaped = new Map<number, number>()
  readonly #exited = Promise.withResolvers<void>()
  /** A launched run's stop, timeout or pause that came before its pid: applied once it has one. */
  #pendingTermination: ExitReason | null = null
  #pendingPause = false

  /** onEvent must not throw: it runs inside child-process callbacks, where nothing can handle it. */
  constructor(spec: RunSpec, onEvent: (event: RunEvent) => void, context: LocalRunContext) {
    this.#spec = spec
    this.#onEvent = onEvent
    this.#context = context
    let child: ChildProcess | null = null
    let spawned: ChildProcess | null = null
    let forked: ReturnType<typeof forkedCopier> | null = null
    let cgroup: RunCgroup | null = null
    let fd: number | undefined
    let failure: string | undefined
    let logStartSize = 0
    try {
      const [command, ...args] = spec.argv
      if (command === undefined) throw new Error('argv is empty')
      const memoryLimit = spec.memoryLimitBytes ?? null
      if (memoryLimit !== null && !context.cgroups?.memory) {
        throw new Error(`a memory limit cannot be enforced here: ${context.cgroups?.memoryMissing ?? 'no cgroup is available'}`)
      }
      if (spec.isolation && !context.isolation) throw new Error('file-system isolation is not available on this machine')
      const maxOutput = spec.maxOutputBytes ?? null
      const markers = context.markers(spec.runId)
      const runEnv = { ...spec.env, ...markers }
      // An isolation helper that can be the copier too forks it itself (one spawn and one Perl
      // start-up per run fewer, issue 10); the markers stay off it, so the copier never looks
      // like one of the run's processes to a marker scan.
      const wrapOptions = {
        outputCap: maxOutput === null ? null : { maxBytes: maxOutput, marker: truncationMarker(maxOutput) },
        keepOffHelper: Object.keys(markers),
      }
      const launcher = spec.isolation && !spec.interactive ? context.isolation?.launcher : undefined
      if (launcher && context.launcher && spec.isolation) {
        const launched = this.#launch(context.launcher, [...launcher.isolateArguments(spec.isolation, spec.runAs, runEnv), ...spec.argv], maxOutput)
        this.#child = null
        this.#cgroup = launched.cgroup
        this.#logStartSize = launched.logStartSize
        return
      }
      const { argv, env, forksCopier } =
        spec.isolation && context.isolation
          ? context.isolation.wrap(spec.argv, spec.isolation, spec.runAs, runEnv, wrapOptions)
          : { argv: [command, ...args], env: runEnv, forksCopier: false }
      // With isolation the namespace is built as root and setpriv drops to runAs afterwards.
      const ids = spec.runAs && !spec.isolation ? { uid: spec.runAs.uid, gid: spec.runAs.gid } : {}
      // O_APPEND: stdout and stderr share one file description, so their writes land in the order
      // they are made and never overwrite each other or what an earlier attempt wrote. Opened here,
      // by the server: a run as another user needs no access to the log.
      fd = fs.openSync(spec.outputPath, 'a')
      if (maxOutput !== null) logStartSize = fs.fstatSync(fd).size
      cgroup = context.cgroups?.create(spec.runId) ?? null
      cgroup?.enter()
      try {
        if (maxOutput !== null && !forksCopier) {
          const [copierCommand, ...copierArgs] = copierArgv(maxOutput)
          spawned = spawn(copierCommand as string, copierArgs, {
            cwd: '/',
            env: { PATH: '/usr/bin:/bin' },
            detached: true,
            stdio: ['pipe', fd, 'ignore'],
            ...(spec.runAs ? { uid: spec.runAs.uid, gid: spec.runAs.gid } : {}),
          })
        }
        // The helper's copier takes the log from its stdout; the command never gets it.
        const output = spawned?.stdin ?? fd
        child = spawn(argv[0] as string, argv.slice(1), {
          cwd: spec.cwd,
          env,
          detached: true,
          // Not interactive: /dev/null, end-of-file at the first read (issue 8).
          stdio: forksCopier ? [spec.interactive ? 'pipe' : 'ignore', output, output, 'pipe'] : [spec.interactive ? 'pipe' : 'ignore', output, output],
          ...ids,
        })
        const report = forksCopier ? child.stdio[3] : null
        if (report) forked = forkedCopier(report as Readable)
      } finally {
        cgroup?.leave()
      }
      if (memoryLimit !== null && cgroup) {
        try {
          cgroup.setMemoryLimit(memoryLimit)
        } catch (error) {
          this.#setupError = `cannot set the memory limit of ${memoryLimit} bytes: ${error instanceof Error ? error.message : String(error)}`
          cgroup.kill()
        }
      }
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error)
    } finally {
      // The children hold their own copies; keeping ours would leak descriptors per run, and the
      // copier would never see EOF while the server holds the pipe's write end.
      if (fd !== undefined) fs.closeSync(fd)
      spawned?.stdin?.destroy()
    }
    this.#child = child
    this.#cgroup = cgroup
    this.#copier = spawned ? spawnedCopier(spawned) : forked
    this.#logStartSize = logStartSize
    this.#pid = child?.pid ?? 0
    if (child === null) {
      // Events are never delivered from inside start(): the caller does not hold the handle yet.
      setImmediate(() => void this.#end({ exitCode: null, signal: null, spawnError: failure }))
      return
    }
    child.once('spawn', () => this.#onSpawn())
    child.on('error', (error: NodeJS.ErrnoException) => {
      // After a successful spawn 'error' only reports failed kill()/send() calls, which this class
      // does not make; before it, the process never existed and no 'exit' will follow.
      if (this.#phase !== 'starting') return
      forked?.abandon()
      void this.#end({ exitCode: null, signal: null, spawnError: this.#describeSpawnError(error) })
    })
    child.once('exit', (exitCode, signal) => void this.#onLeaderExit(exitCode, signal))
    // EPIPE once the process has closed its stdin or died: input it will never read is not an error.
    child.stdin?.on('error', () => {})
  }

  get pid(): number {
    return this.#pid
  }

  /**
   * Through the launcher (launcher.ts): the cgroup is made and limited before anything runs in it
   * (the leader and the copier join it themselves), the log is created here as for a spawn, and
   * the run is 'running' once the launcher reports its leader exec'd.
   */
  #launch(launcher: Launcher, isolateArguments: string[], maxOutput: number | null): { cgroup: RunCgroup | null; logStartSize: number } {
    const spec = this.#spec
    let failure: string | undefined
    // Answered even when a step failed: a cgroup already made is the run's, for its end to remove.
    let cgroup: RunCgroup | null = null
    let logStartSize = 0
    try {
      const fd = fs.openSync(spec.outputPath, 'a')
      try {
        if (maxOutput !== null) logStartSize = fs.fstatSync(fd).size
      } finally {
        fs.closeSync(fd)
      }
      cgroup = this.#context.cgroups?.create(spec.runId) ?? null
      const memoryLimit = spec.memoryLimitBytes ?? null
      if (memoryLimit !== null && cgroup) {
        try {
          cgroup.setMemoryLimit(memoryLimit)
        } catch (error) {
          throw new Error(`cannot set the memory limit of ${memoryLimit} bytes: ${error instanceof Error ? error.message : String(error)}`)
        }
      }
      let copierExited: (() => void) | undefined
      launcher.launch(
        spec.argv[0] as string,
        {
          cwd: spec.cwd,
          outputPath: spec.outputPath,
          cap: maxOutput === null ? null : { maxBytes: maxOutput, marker: truncationMarker(maxOutput) },
          cgroupFiles: cgroup?.joinFiles ?? [],
          isolateArguments,
        },
        {
          started: (pid, copierPid) => {
            if (this.#phase !== 'starting') return
            this.#pid = pid
            if (copierPid !== null) {
              const copier = launchedCopier(copierPid)
              copierExited = copier.markExited
              this.#copier = copier
            }
            this.#onSpawn()
            if (this.#pendingTermination !== null) this.#terminate(this.#pendingTermination)
            else if (this.#pendingPause) this.pause()
          },
          failed: (message) => void this.#end({ exitCode: null, signal: null, spawnError: message }),
          exited: (exitCode, signal) => void this.#onLeaderExit(exitCode, signal),
          copierExited: () => copierExited?.(),
          lost: () => {
            copierExited?.()
            void this.#lose()
          },
        },
      )
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error)
    }
    // Events are never delivered from inside start(): the caller does not hold the handle yet.
    if (failure !== undefined) setImmediate(() => void this.#end({ exitCode: null, signal: null, spawnError: failure }))
    return { cgroup, logStartSize }
  }

  /** The launcher's supervisor of this run died: its end cannot be known; it is killed and reported lost. */
  async #lose(): Promise<void> {
    if (this.#phase === 'exiting' || this.#phase === 'exited') return
    this.#phase = 'exiting'
    clearTimeout(this.#timeoutTimer)
    clearInterval(this.#sampleTimer)
    clearTimeout(this.#killTimer)
    try {
      if (this.#cgroup) {
        this.#thaw()
        this.#cgroup.kill()
      } else if (this.#pid > 0) signalGroup(this.#pid, 'SIGKILL')
    } catch {
      // Gone meanwhile.
    }
    await this.#end({ exitCode: null, signal: null, lostReason: 'the run launcher lost this run (its supervisor process died); its processes were killed' })
  }

  pause(): void {
    if (this.#phase === 'starting' && this.#pid === 0) {
      this.#pendingPause = true
      return
    }
    if (!this.#isSignallable() || this.#terminating) return
    if (this.#cgroup) {
      this.#frozen = true
      this.#tryCgroup((cgroup) => cgroup.freeze())
    } else {
      // Pause is rare and must not miss a process that left the group: a marker scan, then SIGSTOP.
      this.#addMarkedProcesses()
      this.#signalRun('SIGSTOP')
    }
  }

  resume(): void {
    this.#pendingPause = false
    if (!this.#isSignallable()) return
    if (this.#cgroup) this.#thaw()
    else this.#signalRun('SIGCONT')
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

  closeInput(): void {
    const stdin = this.#child?.stdin
    if (!stdin || stdin.destroyed || !stdin.writable) return
    stdin.end()
  }

  /** While the leader lives its pid is the run's pgid; afterwards the number may name someone else's group. */
  #isSignallable(): boolean {
    return this.pid > 0 && (this.#phase === 'starting' || this.#phase === 'running')
  }

  #onSpawn(): void {
    if (this.#phase !== 'starting') return
    this.#phase = 'running'
    if (this.#setupError !== undefined) return // killed in the constructor; #onLeaderExit reports it
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

  /** stop() and the timeout: continue (a stopped or frozen process cannot act on SIGTERM), SIGTERM, SIGKILL after the grace. */
  #terminate(reason: ExitReason): void {
    if (this.#phase === 'starting' && this.#pid === 0) {
      this.#pendingTermination ??= reason
      return
    }
    if (this.#terminating || !this.#isSignallable()) return
    this.#terminating = true
    this.#reason = reason
    this.#killDeadline = Date.now() + this.#spec.killGraceMs
    clearTimeout(this.#timeoutTimer)
    void this.#sendTerminationSignals()
  }

  async #sendTerminationSignals(): Promise<void> {
    const cgroup = this.#cgroup
    if (cgroup) {
      this.#thaw()
      cgroup.signal('SIGTERM', this.#isCopier)
    } else {
      // Scanned while the leader lives: once it dies, descendants in other groups lose their link
      // to the run. The marker scan finds what no link leads to (a double fork's orphan).
      await this.#scanTree().catch(() => undefined)
      this.#addMarkedProcesses()
      if (!this.#isSignallable()) return // the leader died meanwhile; #onLeaderExit owns the rest
      this.#signalRun('SIGCONT')
      this.#signalRun('SIGTERM')
    }
    this.#killTimer = setTimeout(() => void this.#killAtDeadline(), Math.max(0, this.#killDeadline - Date.now()))
  }

  /** The grace is over with the leader alive. (Once it died, #killLeftovers owns the deadline.) */
  async #killAtDeadline(): Promise<void> {
    // The copier must be known to be spared (a forked one reports itself within milliseconds).
    await this.#copier?.known
    if (this.#phase !== 'running') return
    this.#sigkilled = true
    if (this.#cgroup) this.#cgroup.signal('SIGKILL', this.#isCopier)
    else this.#signalRun('SIGKILL')
  }

  async #onLeaderExit(exitCode: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (this.#phase === 'exiting' || this.#phase === 'exited') return
    if (this.#phase === 'starting') this.#onSpawn()
    this.#phase = 'exiting'
    clearTimeout(this.#timeoutTimer)
    clearInterval(this.#sampleTimer)
    clearTimeout(this.#killTimer)
    this.#child?.stdin?.destroy()
    if (this.#setupError !== undefined) {
      await this.#end({ exitCode: null, signal: null, spawnError: this.#setupError })
      return
    }
    try {
      await this.#killLeftovers()
    } catch {
      // /proc or the cgroup unreadable: the SIGKILL has been sent; only the wait for it was lost.
    }
    await this.#end({ exitCode, signal })
  }

  /**
   * Nothing of a run outlives its 'exited' event. A leftover (a background job, a grandchild whose
   * parent died) would be unsupervised: it would keep the log open and growing after the run is
   * final, hold its memory, and escape pause, stop and delete, which only know the run. After a
   * stop, leftovers get what remains of the grace period to finish their own SIGTERM handling.
   * Zombies do not count: they no longer run, and only their parent (often PID 1) can reap them.
   * The output copier is spared until the others are gone, so it can write what they wrote last.
   */
  async #killLeftovers(): Promise<void> {
    await this.#copier?.known
    const cgroup = this.#cgroup
    if (cgroup) {
      // The common end (the leader was the only process, or its children are gone too) reads the
      // member list once and the emptiness once: no thaw unless it was frozen, no SIGKILL to an
      // empty list, no cgroup.kill of an empty cgroup (v1: four file operations), issue 10.
      const othersLeft = (): boolean => cgroup.members().some((pid) => !this.#isCopier(pid))
      if (this.#terminating) await waitUntil(() => !othersLeft(), this.#killDeadline)
      // Frozen processes die of SIGKILL only once thawed (v1), and a frozen copier never ends.
      if (this.#frozen) this.#thaw()
      if (othersLeft()) {
        if (cgroup.signal('SIGKILL', this.#isCopier) > 0 && this.#terminating) this.#sigkilled = true
        await waitUntil(() => !othersLeft(), Date.now() + LEFTOVER_WAIT_MS)
      }
      await this.#waitForCopier()
      // Whatever is left (a process that joined meanwhile, the copier past its wait) is killed.
      if (!cgroup.isEmpty()) {
        cgroup.kill()
        await waitUntil(() => cgroup.isEmpty(), Date.now() + LEFTOVER_WAIT_MS)
      }
      return
    }
    // A SIGTERM handler may have started a new session after the stop's scan.
    if (this.#terminating) this.#addMarkedProcesses()
    if (this.#terminating && (await this.#waitForLeftovers(this.#killDeadline))) this.#sigkilled = true
    this.#signalRun('SIGKILL')
    await this.#waitForLeftovers(Date.now() + LEFTOVER_WAIT_MS)
    await this.#waitForCopier()
  }

  async #waitForCopier(): Promise<void> {
    const copier = this.#copier
    if (!copier) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([copier.exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, LEFTOVER_WAIT_MS)))])
    clearTimeout(timer)
    if (!copier.hasExited) copier.kill()
  }

  /**
   * Resolves once no process of the run is alive (false), or at the deadline (true: some are left).
   * Polls because there is no event for the death of a process that is not our child.
   */
  async #waitForLeftovers(deadline: number): Promise<boolean> {
    for (let pollMs = 2; ; pollMs = Math.min(pollMs * 2, MAX_POLL_MS)) {
      if (this.#escaped.size === 0 && !signalGroup(this.pid, 0)) return false
      const table = await readProcTable()
      if (!table.some((entry) => this.#isLeftover(entry))) return false
      const left = deadline - Date.now()
      if (left <= 0) return true
      await delay(Math.min(pollMs, left))
    }
  }

  #isLeftover(entry: ProcEntry): boolean {
    return isLive(entry) && (entry.pgrp === this.pid || this.#escaped.get(entry.pid) === entry.startTicks)
  }

  /** Without cgroups: the group, plus the descendants that left it and are still the same processes. */
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
      const entry = readProcEntrySync(pid)
      if (entry?.startTicks !== startTicks || !isLive(entry)) this.#escaped.delete(pid)
    }
  }

  /** Every live process that carries this run's markers and is not in its group joins #escaped. */
  #addMarkedProcesses(): void {
    const markers = Object.entries(this.#context.markers(this.#spec.runId)).map(([name, value]) => `${name}=${value}`)
    try {
      for (const entry of findMarkedProcesses(markers)) {
        if (entry.pgrp !== this.pid && !this.#isCopier(entry.pid)) this.#escaped.set(entry.pid, entry.startTicks)
      }
    } catch {
      // /proc unreadable: the group and the traced descendants are still signalled.
    }
  }

  async #sample(maxTableAgeMs: number): Promise<void> {
    if (this.#sampling || this.#phase !== 'running') return
    this.#sampling = true
    let rssBytes: number | null = null
    try {
      await this.#copier?.known
      if (this.#cgroup) {
        // The cgroup lists the run's processes: no /proc scan needed.
        const sizes = await Promise.all(
          this.#cgroup
            .members()
            .filter((pid) => !this.#isCopier(pid))
            .map((pid) => readRssBytes(pid)),
        )
        for (const size of sizes) if (size !== null) rssBytes = (rssBytes ?? 0) + size
      } else {
        rssBytes = await treeRssBytes(await this.#scanTree(maxTableAgeMs))
      }
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
    // The helper's copier is the leader's child: it is never part of the run's tree.
    await this.#copier?.known
    const table = maxTableAgeMs > 0 ? await this.#context.procTable.read(maxTableAgeMs) : await readProcTable()
    const tree = selectProcessTree(table, this.pid).filter((entry) => !this.#isCopier(entry.pid))
    // Checked one by one, not against the table: a shared table may predate a recorded process.
    this.#pruneEscaped()
    for (const entry of tree) {
      if (entry.pgrp !== this.pid && isLive(entry)) this.#escaped.set(entry.pid, entry.startTicks)
    }
    return tree
  }

  /**
   * The copier and its helpers share its process group, which no process of the run can join
   * (another session). A copier the helper forked is also the leader's child: the filter in
   * #scanTree keeps it, and it has no children, out of the tree.
   */
  readonly #isCopier = (pid: number): boolean => {
    const copierPid = this.#copier?.pid
    return copierPid !== undefined && (pid === copierPid || readProcEntrySync(pid)?.pgrp === copierPid)
  }

  #thaw(): void {
    this.#frozen = false
    this.#tryCgroup((cgroup) => cgroup.thaw())
  }

  #tryCgroup(action: (cgroup: RunCgroup) => void): void {
    if (!this.#cgroup) return
    try {
      action(this.#cgroup)
    } catch {
      // Removed meanwhile (the run is over): nothing left to act on.
    }
  }

  #describeSpawnError(error: NodeJS.ErrnoException): string {
    // libuv reports a missing cwd as the command's ENOENT ("spawn sh ENOENT"), which misleads.
    if (error.code === 'ENOENT' && !isDirectory(this.#spec.cwd)) {
      return `${error.message} (working directory ${this.#spec.cwd} does not exist)`
    }
    return error.message
  }

  /** Reads what the cgroup measured, removes it, then reports. */
  async #end(exit: Exit): Promise<void> {
    if (this.#phase === 'exited' || this.#ending) return
    this.#ending = true
    const extra: { peakRssBytes?: number; outputTruncated?: boolean } = {}
    let reason = this.#reason
    let { exitCode, signal } = exit
    try {
      if (exit.spawnError !== undefined) await this.#waitForCopier()
      const cgroup = this.#cgroup
      if (cgroup) {
        if (exit.spawnError !== undefined) {
          cgroup.kill()
          await waitUntil(() => cgroup.isEmpty(), Date.now() + LEFTOVER_WAIT_MS)
        }
        // The cgroup's peak counts the page cache the run caused (a run that wrote 200 MB of output
        // peaks at 200 MB): what it still holds at the end is taken off, which leaves the run's own
        // memory. Cache dropped before the end stays in, so the figure errs high, never below a
        // sample that was actually seen.
        const peak = cgroup.peakMemoryBytes()
        if (peak !== null && exit.spawnError === undefined) {
          extra.peakRssBytes = Math.max(this.#maxSampleBytes, peak - (cgroup.fileCacheBytes() ?? 0))
        }
        // An OOM kill that the run survived (exit 0) is its own business; one that ended it is the reason.
        if (reason === 'exit' && exit.spawnError === undefined && (signal !== null || exitCode !== 0) && cgroup.oomKilled()) reason = 'memory_limit'
        for (let attempt = 0; attempt < 50 && !cgroup.remove(); attempt++) await delay(10)
      }
      if (this.#spec.maxOutputBytes != null && exit.spawnError === undefined) {
        extra.outputTruncated = fs.statSync(this.#spec.outputPath).size - this.#logStartSize > this.#spec.maxOutputBytes
      }
    } catch {
      // A figure that cannot be read is left out; the ending itself is still reported.
    }
    if (this.#terminating && this.#sigkilled && exit.spawnError === undefined) {
      exitCode = null
      signal = 'SIGKILL'
    }
    this.#finish({ ...exit, exitCode, signal }, reason, extra)
  }

  #finish(exit: Exit, reason: ExitReason, extra: { peakRssBytes?: number; outputTruncated?: boolean }): void {
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
        reason,
        at: Date.now(),
        ...(exit.spawnError === undefined ? {} : { spawnError: exit.spawnError }),
        ...(exit.lostReason === undefined ? {} : { lostReason: exit.lostReason }),
        ...extra,
      })
    } finally {
      this.#exited.resolve()
    }
  }

  #emit(event: RunEvent): void {
    if (event.type === 'sample') this.#maxSampleBytes = Math.max(this.#maxSampleBytes, event.rssBytes)
    this.#onEvent(event)
  }
}

/** Polls `done` with a growing interval until it holds or the deadline passes. */
export async function waitUntil(done: () => boolean, deadline: number): Promise<boolean> {
  for (let pollMs = 2; ; pollMs = Math.min(pollMs * 2, MAX_POLL_MS)) {
    if (done()) return true
    const left = deadline - Date.now()
    if (left <= 0) return false
    await delay(Math.min(pollMs, left))
  }
}

function isDirectory(path: string): boolean {
  try {
    return fs.statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** For the tests (isolation.test.ts: strict-clean, loads no module). */
export { PERL_COPIER as perlCopierSource }
