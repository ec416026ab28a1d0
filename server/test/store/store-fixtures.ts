/** What every store test needs: its own database, and valid rows to put in it. */
import type { TestContext } from 'node:test'
import type { NewRun, Run } from '../../src/domain/run.ts'
import type { NewTask, Task } from '../../src/domain/task.ts'
import type { OpenedTestStore, TestDialect } from '../helpers/test-dialects.ts'

/** A fresh database for this test, deleted when the test ends. */
export async function openTestStore(t: TestContext, dialect: TestDialect): Promise<OpenedTestStore> {
  const opened = await dialect.open()
  t.after(() => opened.cleanup())
  return opened
}

export const T0 = 1_700_000_000_000

export function newTask(overrides: Partial<NewTask> = {}): NewTask {
  return {
    name: 'nightly-report',
    source: 'file',
    scriptFile: 'report.py',
    command: 'python report.py',
    condaEnv: 'base',
    requirements: null,
    cronExpression: null,
    delaySeconds: null,
    priority: 5,
    status: 'scheduled',
    createdAt: T0,
    updatedAt: T0,
    nextRunAt: null,
    ownerId: null,
    ...overrides,
  }
}

/** The Task that inserting `task` must return. */
export function taskFrom(task: NewTask, id: number): Task {
  return {
    id,
    ...task,
    lastRunAt: null,
    lastRunDurationMs: null,
    lastRunId: null,
    runAs: task.runAs ?? null,
    memoryLimitMb: task.memoryLimitMb ?? null,
    maxLogMb: task.maxLogMb ?? null,
    taskType: task.taskType ?? null,
    labels: task.labels ?? [],
    timeZone: task.timeZone ?? null,
    misfire: task.misfire ?? 'run_once',
    scheduleEnabled: task.scheduleEnabled ?? true,
    scheduleDescription: task.scheduleDescription ?? null,
    scheduleRuns: task.scheduleRuns ?? 0,
    lastScheduledAt: task.lastScheduledAt ?? null,
    timeoutSeconds: task.timeoutSeconds ?? null,
    interactive: task.interactive ?? false,
    nodeVersion: task.nodeVersion ?? null,
    maxRetries: task.maxRetries ?? 0,
    retryBackoffSeconds: task.retryBackoffSeconds ?? 10,
    retryMaxBackoffSeconds: task.retryMaxBackoffSeconds ?? 3600,
    concurrency: task.concurrency ?? 'forbid',
  }
}

/**
 * A run that does not take its task's lock (migration 011's unique index) unless told: the store
 * tests queue several live runs of one task. http and service tests go through the policies.
 */
export function newRun(taskId: number, overrides: Partial<NewRun> = {}): NewRun {
  return { taskId, priority: 5, trigger: 'manual', queuedAt: T0, holdsLock: false, ...overrides }
}

/** The Run that inserting `run` must return. */
export function runFrom({ holdsLock: _holdsLock, ...run }: NewRun, id: number): Run {
  return {
    id,
    ...run,
    status: 'queued',
    startedAt: null,
    endedAt: null,
    exitCode: null,
    signal: null,
    pid: null,
    workerId: null,
    peakRssBytes: null,
    avgRssBytes: null,
    error: null,
    outputTruncated: false,
    pauseReason: null,
    pausedBy: null,
    resumeReason: null,
    resumedBy: null,
    stopReason: null,
    stoppedBy: null,
    attempt: run.attempt ?? 1,
    firstRunId: run.firstRunId ?? null,
    notBefore: run.notBefore ?? null,
    retryOf: run.retryOf ?? null,
    requestedAction: null,
  }
}
