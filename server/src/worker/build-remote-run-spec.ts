/**
 * What a run on a registered server is given (issue 12). Pure. Nothing of this machine's
 * environment or accounts travels: the run starts in the remote account's login directory (or, for
 * a task with files, a copy of them made for the run) with that login's HOME, USER and LOGNAME, a
 * fixed PATH and Taskyard's own variables.
 */
import { effectiveMaxLogBytes } from '../domain/run-limits.ts'
import type { Run } from '../domain/run.ts'
import type { Task } from '../domain/task.ts'
import type { RunSpec } from '../executor/executor.ts'

/** The remote login's PATH is not read (a login shell's profile is not run): runs get this one. */
export const REMOTE_PATH = '/usr/local/bin:/usr/bin:/bin'

export interface RemoteRunSpecInput {
  run: Pick<Run, 'id'>
  task: Pick<Task, 'id' | 'command' | 'maxLogMb' | 'source' | 'scriptFile'> & Partial<Pick<Task, 'interactive' | 'memoryLimitMb'>>
  /** The combined log and the two stream files (spec 001's output / error), on this machine. */
  logPath: string
  streamPaths: { stdout: string; stderr: string }
  /** The task's files (its local directory), copied to a directory of the run on the server; null = a bare command, run in the login directory. */
  uploadDir: string | null
  settings: {
    /** spec 001's default timeout (TASKYARD_SHELL_TIMEOUT_SECONDS, 300 s); null = none. */
    timeoutMs: number | null
    killGraceMs: number
    sampleIntervalMs: number
    /** spec 001's output cap (TASKYARD_SHELL_MAX_OUTPUT_BYTES, 10 MiB); a task's max_log_mb may lower it. */
    maxOutputBytes: number
  }
}

/** A task made by spec 001's JSON create has no files: only its command travels. */
export const hasFiles = (task: Pick<Task, 'source' | 'scriptFile'>): boolean => task.source === 'zip' || task.scriptFile !== ''

export function buildRemoteRunSpec(input: RemoteRunSpecInput): RunSpec {
  const { settings, task } = input
  return {
    runId: input.run.id,
    argv: ['/bin/sh', '-c', task.command],
    cwd: '.',
    uploadDir: input.uploadDir,
    env: { PATH: REMOTE_PATH, TASKYARD_TASK_ID: String(task.id) },
    inheritEnv: ['HOME', 'USER', 'LOGNAME', 'LANG'],
    outputPath: input.logPath,
    streamPaths: input.streamPaths,
    timeoutMs: settings.timeoutMs,
    killGraceMs: settings.killGraceMs,
    sampleIntervalMs: settings.sampleIntervalMs,
    runAs: null,
    // Refused when set (services/servers/check-remote-policy.ts); one stored anyway reaches the SSH
    // executor, which fails the run saying why instead of ignoring it.
    memoryLimitBytes: task.memoryLimitMb == null ? null : task.memoryLimitMb * 1024 * 1024,
    maxOutputBytes: effectiveMaxLogBytes(task.maxLogMb, settings.maxOutputBytes),
    // Issue 8: stdin is a pipe for an interactive task only; the rest read end-of-file.
    interactive: task.interactive === true,
    isolation: null,
  }
}
