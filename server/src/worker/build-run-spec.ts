/**
 * What a run is given (issue 6): its command line, environment, account, limits and view of the
 * file system. Pure: the dispatcher resolves the account and the environment and prepares the
 * directories; this only decides.
 */
import { effectiveMaxLogBytes, MIB } from '../domain/run-limits.ts'
import type { Run } from '../domain/run.ts'
import type { Task } from '../domain/task.ts'
import type { RunEnvironment } from '../environments/environments.ts'
import { PRIVATE_TMP_DIRS, type RunSpec } from '../executor/executor.ts'

export interface RunSpecInput {
  run: Pick<Run, 'id'>
  task: Pick<Task, 'id' | 'command' | 'memoryLimitMb' | 'maxLogMb'> & Partial<Pick<Task, 'interactive'>>
  environment: RunEnvironment
  /** The OS account of the run; null = the server's own. */
  account: { name: string; uid: number; gid: number } | null
  dirs: {
    dataDir: string
    taskDir: string
    outputDir: string
    logPath: string
    envsDir: string
  }
  settings: {
    /** The allowlisted part of the server's environment (config's runEnv). */
    baseEnv: Readonly<Record<string, string>>
    runTimeoutMs: number | null
    killGraceMs: number
    sampleIntervalMs: number
    maxLogBytes: number
    /** Hide the data directory from the run (a mount namespace), all but its own folders and the environments. */
    isolate: boolean
    /** More directories hidden under isolation: the server's PostgreSQL socket directory (database-guard.ts). */
    alsoHidden?: readonly string[]
  }
}

const FALLBACK_PATH = '/usr/local/bin:/usr/bin:/bin'

/**
 * The run's environment, exactly (documented in the README's "Security model"): the allowlisted
 * server variables, then the environment's own (VIRTUAL_ENV…), then these, which nothing overrides.
 */
export function runEnvironmentVariables(input: RunSpecInput): Record<string, string> {
  const { baseEnv } = input.settings
  const env: Record<string, string> = {
    ...baseEnv,
    ...input.environment.env,
    PATH: [...input.environment.pathPrefix, baseEnv.PATH ?? FALLBACK_PATH].join(':'),
    // Another account's runs get the task directory as HOME: the server's is not theirs to use.
    HOME: input.account ? input.dirs.taskDir : (baseEnv.HOME ?? input.dirs.taskDir),
    // Output reaches the log as it is written, not when a 4 KiB buffer fills.
    PYTHONUNBUFFERED: '1',
    TASKYARD_TASK_ID: String(input.task.id),
    TASKYARD_RUN_ID: String(input.run.id),
    TASKYARD_OUTPUT_DIR: input.dirs.outputDir,
  }
  if (input.account) {
    env.USER = input.account.name
    env.LOGNAME = input.account.name
  }
  return env
}

/**
 * The installations on the run's PATH (a task's node_version, an environment) that lie in a
 * directory the run gets a private copy of (/tmp, /var/tmp, /dev/shm: PRIVATE_TMP_DIRS):
 * bound back read-only, or the run would not find them. `…/bin` keeps its parent (npm's
 * modules are in ../lib).
 */
function pathInstallationsInPrivateTmp(pathPrefix: readonly string[], dataDir: string): string[] {
  const inPrivate = (p: string): boolean => PRIVATE_TMP_DIRS.some((d) => p.startsWith(d + '/'))
  // The data directory's own (environments) are kept with it already.
  const kept = pathPrefix
    .filter((p) => p.startsWith('/') && inPrivate(p) && !p.startsWith(dataDir + '/'))
    .map((p) => (p.endsWith('/bin') && inPrivate(p.slice(0, -4)) ? p.slice(0, -4) : p))
  return [...new Set(kept)]
}

export function buildRunSpec(input: RunSpecInput): RunSpec {
  const { dirs, settings, task, account } = input
  return {
    runId: input.run.id,
    // The command is the user's own shell command line (spec 000 `command`), run by /bin/sh in
    // the task directory; environment names never reach it.
    argv: ['/bin/sh', '-c', task.command],
    cwd: dirs.taskDir,
    env: runEnvironmentVariables(input),
    outputPath: dirs.logPath,
    timeoutMs: settings.runTimeoutMs,
    killGraceMs: settings.killGraceMs,
    sampleIntervalMs: settings.sampleIntervalMs,
    runAs: account ? { uid: account.uid, gid: account.gid } : null,
    memoryLimitBytes: task.memoryLimitMb == null ? null : task.memoryLimitMb * MIB,
    // Issue 8: only an interactive task's runs get a stdin pipe; the rest read end-of-file.
    interactive: task.interactive === true,
    maxOutputBytes: effectiveMaxLogBytes(task.maxLogMb, settings.maxLogBytes),
    // The log is opened by the executor before the process exists, so hiding logs/ costs the run nothing.
    isolation: settings.isolate
      ? {
          hidden: [dirs.dataDir, ...(settings.alsoHidden ?? [])],
          writable: [dirs.taskDir, dirs.outputDir],
          readOnly: [dirs.envsDir, ...pathInstallationsInPrivateTmp(input.environment.pathPrefix, dirs.dataDir)],
        }
      : null,
  }
}
