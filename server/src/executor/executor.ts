/**
 * The executor's contract: it starts processes for runs and reports what happens to them.
 * It knows runs, not tasks; it never touches SQL or HTTP. The caller persists the events.
 */

export interface RunSpec {
  runId: number
  /** argv[0] is resolved against env.PATH; no shell is involved unless argv says so. */
  argv: readonly string[]
  cwd: string
  env: Readonly<Record<string, string>>
  /**
   * The run's durable log. The executor appends stdout and stderr here, interleaved in arrival
   * order (the local executor hands the file itself to the process, so nothing passes through
   * the server and nothing written before a crash is lost).
   */
  outputPath: string
  /** Ends the run with reason 'timeout' after this long; null = no limit. */
  timeoutMs: number | null
  /** Between SIGTERM and SIGKILL when stopping. */
  killGraceMs: number
  /** How often to sample the memory of the whole process tree. */
  sampleIntervalMs: number
  /**
   * The OS account the run's processes get (issue 6: a task never runs with the server's
   * privileges when the server is root). Absent/null = the server's own user.
   */
  runAs?: { uid: number; gid: number } | null
  /** Memory limit of the whole run (its cgroup); exceeding it ends the run with reason 'memory_limit'. Absent/null = none. */
  memoryLimitBytes?: number | null
  /** Output past this many bytes is dropped behind one visible marker line; 'exited' then says outputTruncated. Absent/null = no cap. */
  maxOutputBytes?: number | null
  /**
   * The run's view of the file system where the executor can give it one (a mount namespace):
   * each `hidden` directory is replaced by an empty one, then `writable` and `readOnly` paths
   * (inside hidden ones, typically) are bound back. Absent = the host's view.
   */
  isolation?: { hidden: readonly string[]; writable: readonly string[]; readOnly: readonly string[] } | null
}

export type ExitReason = 'exit' | 'timeout' | 'stopped' | 'memory_limit'

export type RunEvent =
  | { type: 'started'; pid: number; at: number }
  | { type: 'sample'; rssBytes: number; at: number }
  | {
      type: 'exited'
      exitCode: number | null
      signal: NodeJS.Signals | null
      reason: ExitReason
      at: number
      /** Set when the process could not be started at all (e.g. ENOENT). */
      spawnError?: string
      /** The run's peak memory as its cgroup measured it, when it had one (covers sub-second runs). */
      peakRssBytes?: number
      /** True when output past maxOutputBytes was dropped. */
      outputTruncated?: boolean
    }

export interface RunHandle {
  readonly pid: number
  /** SIGSTOP to the whole process group. */
  pause(): void
  /** SIGCONT to the whole process group. */
  resume(): void
  /**
   * SIGTERM to the group, SIGKILL after the grace period; a paused group is continued first so it
   * can die. Resolves once the process has exited; the 'exited' event carries reason 'stopped'.
   */
  stop(): Promise<void>
  /** Writes to the process's stdin. */
  writeInput(text: string): void
}

export interface Executor {
  /**
   * Starts the run. Events arrive through onEvent: 'started' (unless the spawn fails), any number
   * of 'sample', then exactly one 'exited', always last.
   */
  start(spec: RunSpec, onEvent: (event: RunEvent) => void): RunHandle
  /** True when a process group with this id still has a live member. */
  isGroupAlive(pgid: number): boolean
  /** Kills every process of a group this server no longer supervises (recovery after a crash). */
  killGroup(pgid: number): void
}
