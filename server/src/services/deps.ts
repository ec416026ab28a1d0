import type { Clock } from '../domain/clock.ts'
import type { DenyRule } from '../domain/command-deny-list.ts'
import type { RunAccounts } from '../domain/run-account.ts'
import type { Environments, InstallResult } from '../environments/environments.ts'
import type { EventBus } from '../events/events.ts'
import type { SshHosts } from '../executor/executor.ts'
import type { SecretBox } from '../lib/secret-box.ts'
import type { DataPaths } from '../lib/paths.ts'
import type { LogStore } from '../logs/log-store.ts'
import type { ArtifactStore } from '../artifacts/artifact-store.ts'
import type { LoginThrottle } from '../auth/login-throttle.ts'
import type { Store } from '../store/store.ts'
import type { RunControl } from './run-control.ts'

/** A task's files as they wait in a staging directory to be moved into place. */
export interface PreparedFiles {
  dir: string
  source: 'file' | 'zip'
  /** The single script's name; '' for a ZIP. */
  scriptFile: string
  /** Relative paths, sorted. */
  files: string[]
}

/** What services need of files/: uploads turned into task directories, whole or not at all. */
export interface TaskFiles {
  /**
   * Turns an uploaded temp file into a staging directory; throws upload_failed naming what is
   * wrong. `command` (when known) decides whether a ZIP's single top folder is unwrapped.
   */
  prepare(upload: { path: string; filename: string }, command?: string | null): Promise<PreparedFiles>
  /** Replaces the task's directory with the staging directory, whole. */
  install(stagingDir: string, taskId: number): Promise<void>
  remove(taskId: number): Promise<void>
  /** Removes a staging directory or temp upload; never throws. */
  discard(path: string): Promise<void>
  /** Null when the file's extension names no interpreter: the user must give a command. */
  defaultCommand(source: 'file' | 'zip', scriptFile: string): string | null
  detectMainScript(files: string[]): string | null
  /**
   * A Node.js task's dependencies (package.json at the top of its files, a node/npm/npx command)
   * installed into its staged directory, with the npm of its node_version when it has one; null
   * when the task is not a Node.js one. Absent: never.
   */
  installNodeDependencies?(stagingDir: string, command: string, files: readonly string[], nodeVersion: string | null): Promise<InstallResult | null>
  /** Overwrites one file of the task directory (the online editor's save). */
  writeScript(taskId: number, fileName: string, content: string): Promise<void>
}

/** What the host tells about itself, for the stats page. */
export interface SystemInfo {
  totalMemoryBytes(): number
}

export interface ServiceDeps {
  store: Store
  clock: Clock
  bus: EventBus
  /** The worker's side of runs: start queued ones, signal live ones. */
  runControl: RunControl
  /** Re-reads schedules; call after a commit that changes one. */
  wakeScheduler(): void
  environments: Environments
  files: TaskFiles
  /** Run logs: read, followed, downloaded, removed with their task. */
  logs: LogStore
  /** Environment build logs, keyed by build id (the same contract; builds write them through paths.envBuildLog). */
  buildLogs: LogStore
  /** Result files runs leave in $TASKYARD_OUTPUT_DIR: listed, downloaded, removed with their task. */
  artifacts: ArtifactStore
  paths: DataPaths
  system: SystemInfo
  accounts: RunAccounts
  settings: {
    timeZone: string | undefined
    /** TASKYARD_MAX_LOG_BYTES: a task's max_log_mb may lower it, not raise it. */
    maxLogBytes: number
    /** TASKYARD_MAX_WORKERS: the limit while no admin has set one; null = no limit. */
    maxWorkers: number | null
    /**
     * Issue 12: the command deny-list's rules an admin changed (spec 001). Commands sent to a
     * server are always checked; local shell commands when `local`.
     */
    commandDenyList: { local: boolean; disabledRules: readonly DenyRule[]; extraPrograms: readonly string[] }
  }
  /** Registered servers (issue 12): SSH itself, and the box that seals their secrets at rest. */
  ssh: SshHosts
  secretBox: SecretBox
  auth: {
    secret: Buffer
    throttle: LoginThrottle
    sessionTtlMs: number
    accessTokenTtlMs: number
  }
}
