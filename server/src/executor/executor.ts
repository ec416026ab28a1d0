/**
 * The executor's contract: it starts processes for runs and reports what happens to them.
 * It knows runs, not tasks; it never touches SQL or HTTP. The caller persists the events.
 */
import type { ServerCredentials } from '../domain/server.ts'

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
   * (inside hidden ones, typically) are bound back; PRIVATE_TMP_DIRS are the run's own, empty.
   * Absent = the host's view.
   */
  isolation?: { hidden: readonly string[]; writable: readonly string[]; readOnly: readonly string[] } | null
  /**
   * Where an executor that receives stdout and stderr apart (SSH) also appends each to a file of
   * its own, under the same cap (spec 001's `output` and `error`). The local executor ignores it.
   */
  streamPaths?: { stdout: string; stderr: string } | null
  /**
   * Issue 8: true gives the run a pipe on stdin that writeInput feeds and closeInput ends. Absent
   * or false: stdin is at end-of-file from the start, so a read (`input()`) never waits for ever.
   */
  interactive?: boolean
  /**
   * Variables of the remote login's own environment the run keeps (SSH only: HOME, USER, where
   * the server cannot know their values). `env` wins over them. Names only, `[A-Za-z_][A-Za-z0-9_]*`.
   */
  inheritEnv?: readonly string[]
  /**
   * SSH only: a local directory whose files are copied (SFTP) into a fresh directory of this run
   * on the server, which becomes the run's working directory (`cwd` is then ignored) and is
   * removed when the run ends. Absent/null = nothing is copied.
   */
  uploadDir?: string | null
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
      /**
       * The run's peak memory as its cgroup measured it, when it had a memory controller (covers
       * sub-second runs): the cgroup's peak less the page cache still charged at the end, never
       * below the largest sample.
       */
      peakRssBytes?: number
      /** True when output past maxOutputBytes was dropped. */
      outputTruncated?: boolean
      /**
       * Set when the executor lost the run without seeing it end (an SSH connection dropped): the
       * caller records it `abnormal` with this reason. Its processes are ended at the next connection.
       */
      lostReason?: string
    }

export interface RunHandle {
  readonly pid: number
  /** Freezes the run's cgroup; without cgroups SIGSTOP to its group and the processes that left it. */
  pause(): void
  /** Thaws the cgroup; without cgroups SIGCONT to the same processes. */
  resume(): void
  /**
   * SIGTERM to every process of the run, SIGKILL after the grace period; a paused run is continued
   * first so it can die. Resolves once the process has exited; the 'exited' event carries reason
   * 'stopped' and the signal that actually ended the run (SIGKILL when the grace ran out on any of them).
   */
  stop(): Promise<void>
  /** Writes to the process's stdin (interactive runs; ignored otherwise and once stdin is closed). */
  writeInput(text: string): void
  /** Ends the process's stdin: its reads see end-of-file once what was written is read. */
  closeInput(): void
}

export interface Executor {
  /**
   * Starts the run. Events arrive through onEvent: 'started' (unless the spawn fails), any number
   * of 'sample', then exactly one 'exited', always last.
   */
  start(spec: RunSpec, onEvent: (event: RunEvent) => void): RunHandle
  /** How runs are contained, for start-up messages (e.g. "cgroup v1 (freezer …): …" or "process groups (…)"). */
  readonly containment: string
  /** How RunSpec.isolation is applied, or null when this machine cannot give a run its own file-system view. */
  readonly isolation: string | null
  /** Whether RunSpec.memoryLimitBytes can be enforced (a cgroup memory controller); a run asking for one otherwise fails to start. */
  readonly canLimitMemory: boolean
  /** True when a process group with this id still has a live member. */
  isGroupAlive(pgid: number): boolean
  /**
   * Ends every process a run left behind that this server no longer supervises (crash recovery):
   * its cgroup's members (then the cgroup is removed), and without cgroups every process whose
   * environment carries the run's marker, in any group or session. Never a process of another
   * run or installation, never a reused pid. The kills are sent before it returns; the promise
   * (which never rejects) settles once they are gone and the cgroup removed.
   */
  killOrphanedRun(runId: number, pgid: number | null): Promise<void>
}

/** A registered server as the SSH executor connects to it (issue 12). Its credentials are open: never log this. */
export interface SshTarget {
  host: string
  port: number
  username: string
  credentials: ServerCredentials
  /** The pinned host key (`SHA256:…`), or null: the first handshake's key is accepted and reported. */
  hostKeyFingerprint: string | null
}

/**
 * What a handshake found. 'changed' means the host offered another key than the pinned one:
 * the connection was dropped before authentication, so no credential reached it.
 */
export type ProbeResult =
  | { outcome: 'connected'; hostKeyFingerprint: string; latencyMs: number }
  | { outcome: 'host_key_changed'; offeredFingerprint: string }
  | { outcome: 'failed'; reason: string }

/** SSH as the services see it: probing servers, checking keys, and an executor per server. */
export interface SshHosts {
  /** Connects, authenticates and runs `true`; latency is to the end of that round trip. */
  probe(target: SshTarget): Promise<ProbeResult>
  /** Why this private key (with this passphrase) cannot be used, or null when it can. */
  privateKeyProblem(privateKey: string, passphrase: string | null): string | null
  /**
   * The executor of one server's runs, made at the first call and reused (its connections are
   * pooled). `target` is read at each new connection; `onFirstHostKey` is told the key an unpinned
   * server offered, to pin it.
   */
  executorFor(serverId: number, options: { label: string; target: () => Promise<SshTarget>; onFirstHostKey: (fingerprint: string) => Promise<void> }): Executor
  /**
   * Servers where runs a dropped connection or a restart left behind are still to be ended (the
   * server could not be reached): their executors, once made, retry until it can.
   */
  serversWithPendingSweeps(): number[]
  /**
   * The server is deleted: its live runs are stopped (their remote processes ended while it can
   * still be reached), its connections closed, and its pending sweeps dropped with their file:
   * nothing can connect to it any more, and a later server must not inherit them.
   */
  forget(serverId: number): Promise<void>
  /** Stops the runs of every server executor and ends their connections. */
  close(): Promise<void>
}

/** The directories an isolated run gets a private, empty, writable copy of (executor/local/isolation.ts PRIVATE_TMP). */
export const PRIVATE_TMP_DIRS: readonly string[] = ['/tmp', '/var/tmp', '/dev/shm']
