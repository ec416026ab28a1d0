import type { RunStatus } from './run.ts'
import type { Task, TaskStatus } from './task.ts'

/** How a process ended, as the executor reports it. */
export interface ProcessOutcome {
  exitCode: number | null
  signal: string | null
  reason: 'exit' | 'timeout' | 'stopped' | 'memory_limit'
  spawnError?: string
  /** The executor lost the run without seeing it end (an SSH connection dropped). */
  lostReason?: string
}

/** The run's final status and the reason recorded with it. */
export function runOutcome(o: ProcessOutcome): { status: RunStatus; error: string | null } {
  if (o.lostReason) return { status: 'abnormal', error: o.lostReason }
  if (o.spawnError) return { status: 'failed', error: `Could not start the command: ${o.spawnError}` }
  if (o.reason === 'stopped') return { status: 'cancelled', error: null }
  if (o.reason === 'timeout') return { status: 'timeout', error: 'Run exceeded its time limit and was ended' }
  if (o.reason === 'memory_limit') return { status: 'failed', error: 'Run exceeded its memory limit and was ended' }
  if (o.exitCode === 0) return { status: 'completed', error: null }
  if (o.signal) return { status: 'failed', error: `Process ended by signal ${o.signal}` }
  return { status: 'failed', error: null }
}

/**
 * The task's status once its run has ended. An action that already moved the task away from
 * 'running' (stop, pause, a forced script update) keeps its word; otherwise a cron task goes
 * back to 'scheduled' (spec 000) and a one-off task reports how its run went.
 */
export function taskStatusAfterRun(task: Pick<Task, 'status' | 'cronExpression' | 'nextRunAt'>, runStatus: RunStatus): TaskStatus {
  if (task.status !== 'running') return task.status
  // A cron task with no next time was taken off its schedule by stop and then triggered: spec
  // 000's trigger "does not affect its schedule", so it is stopped again, never 'scheduled'
  // with nothing to wait for.
  if (task.cronExpression) return task.nextRunAt == null ? 'stopped' : 'scheduled'
  if (task.nextRunAt != null) return 'scheduled'
  return runStatus === 'completed' ? 'completed' : 'failed'
}
