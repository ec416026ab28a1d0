import path from 'node:path'
import { priorityWord } from '../../domain/priority.ts'
import type { Run, RunBrief } from '../../domain/run.ts'
import type { Task } from '../../domain/task.ts'
import { formatDateTime } from '../../lib/format-time.ts'
import type { DataPaths } from '../../lib/paths.ts'
import { megabytes, seconds } from './units.ts'

/** The task's script on disk: the file for a single upload, the task directory for a ZIP. */
export function scriptPath(paths: DataPaths, task: Task): string {
  const dir = paths.taskDir(task.id)
  return task.source === 'file' && task.scriptFile ? path.join(dir, task.scriptFile) : dir
}

/** spec 000's `task` object of create/update responses, plus the fields we add in the same style. */
export function presentTask(paths: DataPaths, task: Task): Record<string, unknown> {
  const body: Record<string, unknown> = {
    task_id: task.id,
    task_name: task.name,
    script_path: scriptPath(paths, task),
    conda_env: task.condaEnv,
    status: task.status,
    created_at: formatDateTime(task.createdAt),
    updated_at: formatDateTime(task.updatedAt),
    cron_expression: task.cronExpression,
    delay_seconds: task.delaySeconds,
    // A switched-off schedule (PUT /api/schedules) has no next time, whatever the row holds.
    next_run_time: formatDateTime(task.scheduleEnabled ? task.nextRunAt : null),
    last_run_time: formatDateTime(task.lastRunAt),
    last_run_duration: seconds(task.lastRunDurationMs),
    requirements: task.requirements,
    command: task.command,
    priority: priorityWord(task.priority),
    priority_value: task.priority,
  }
  // Issue 6, optional fields: present only when the task sets them.
  if (task.runAs != null) body.run_as = task.runAs
  if (task.memoryLimitMb != null) body.memory_limit_mb = task.memoryLimitMb
  if (task.maxLogMb != null) body.max_log_mb = task.maxLogMb
  // Issue 8, the same way: spec 000's shape stays as it is for a task without them.
  if (task.taskType != null) body.task_type = task.taskType
  if (task.labels.length > 0) body.labels = task.labels
  // Issue 8, optional in the same way: a zone of its own, a misfire policy other than the default.
  if (task.timeZone != null) body.time_zone = task.timeZone
  if (task.misfire !== 'run_once') body.misfire = task.misfire
  if (task.timeoutSeconds != null) body.timeout_seconds = task.timeoutSeconds
  if (task.interactive) body.interactive = true
  if (task.nodeVersion != null) body.node_version = task.nodeVersion
  if (task.maxRetries > 0) {
    body.max_retries = task.maxRetries
    body.retry_backoff_seconds = task.retryBackoffSeconds
    body.retry_max_backoff_seconds = task.retryMaxBackoffSeconds
  }
  if (task.concurrency !== 'forbid') body.concurrency = task.concurrency
  return body
}

/** spec 000 GET /api/tasks item. `completed_at` appears for completed tasks, as in its example. */
export function presentTaskListItem(task: Task): Record<string, unknown> {
  const item: Record<string, unknown> = {
    task_id: task.id,
    task_name: task.name,
    status: task.status,
    conda_env: task.condaEnv,
    created_at: formatDateTime(task.createdAt),
    cron_expression: task.cronExpression,
    next_run_time_formatted: formatDateTime(task.scheduleEnabled ? task.nextRunAt : null),
    last_run_time_formatted: formatDateTime(task.lastRunAt),
    last_run_duration_formatted: seconds(task.lastRunDurationMs),
    priority: priorityWord(task.priority),
  }
  if (task.taskType != null) item.task_type = task.taskType
  if (task.labels.length > 0) item.labels = task.labels
  if (task.status === 'completed' && task.lastRunAt != null && task.lastRunDurationMs != null) {
    item.completed_at = formatDateTime(task.lastRunAt + task.lastRunDurationMs)
  }
  return item
}

/** A run's duration in ms, once it has both ends. */
export function runDurationMs(run: Pick<Run, 'startedAt' | 'endedAt'>): number | null {
  return run.startedAt != null && run.endedAt != null ? run.endedAt - run.startedAt : null
}

/** spec 000 execution object (execution_history and latest_execution). */
export function presentExecution(run: RunBrief): Record<string, unknown> {
  const body: Record<string, unknown> = {
    execution_id: String(run.id),
    start_time: formatDateTime(run.startedAt),
    end_time: formatDateTime(run.endedAt),
    status: run.status,
    duration: seconds(runDurationMs(run)),
    peak_memory: megabytes(run.peakRssBytes),
    avg_memory: megabytes(run.avgRssBytes),
    exit_code: run.exitCode,
    signal: run.signal,
    error: run.error,
  }
  // Issue 6, optional: only a run whose output hit its log cap carries it.
  if (run.outputTruncated) body.output_truncated = true
  return body
}
