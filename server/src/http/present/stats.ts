import { formatDate, formatDateTime } from '../../lib/format-time.ts'
import type { TaskStats } from '../../services/task-stats.ts'
import type { RunBriefWithTaskName } from '../../domain/run.ts'
import { runDurationMs } from './task.ts'
import { megabytes, seconds } from './units.ts'

/** spec 000 history item (GET /api/tasks/history and ?type=history). */
export function presentHistoryItem(run: RunBriefWithTaskName): Record<string, unknown> {
  return {
    task_id: run.taskId,
    task_name: run.taskName,
    status: run.status,
    execution_time: formatDateTime(run.startedAt),
    duration: seconds(runDurationMs(run)),
    peak_memory: megabytes(run.peakRssBytes),
    avg_memory: megabytes(run.avgRssBytes),
    exit_code: run.exitCode,
    execution_id: String(run.id),
  }
}

const round1 = (n: number): number => Math.round(n * 10) / 10

/** spec 000 GET /api/tasks/stats, field for field. */
export function presentStats(s: TaskStats): Record<string, unknown> {
  const count = (k: keyof TaskStats['taskCounts']): number => s.taskCounts[k] ?? 0
  const total = Object.values(s.taskCounts).reduce((a, b) => a + (b ?? 0), 0)
  const completed = count('completed')
  const failed = count('failed')
  const hasMemory = s.totalMemoryBytes > 0
  return {
    total,
    scheduled: count('scheduled'),
    running: count('running'),
    completed,
    failed,
    paused: count('paused'),
    stopped_count: count('stopped'),
    avg_duration: seconds(s.durations.avgMs),
    min_duration: seconds(s.durations.minMs),
    max_duration: seconds(s.durations.maxMs),
    // spec 000: completed / (completed + failed), in percent.
    success_rate: completed + failed === 0 ? 0 : round1((completed / (completed + failed)) * 100),
    // spec 000: null when the figures are unavailable, so the page shows a placeholder.
    system_resources: hasMemory
      ? {
          timestamps: s.hours.map((h) => formatDateTime(h.start)),
          memory_usage: s.hours.map((h) => (h.memoryUsedBytes == null ? null : Math.round(h.memoryUsedBytes / 1048576))),
          total_memory: Math.round(s.totalMemoryBytes / 1048576),
          task_counts: s.hours.map((h) => h.runsStarted),
        }
      : null,
    task_success_rate: {
      success: s.runCounts.completed ?? 0,
      // A run that timed out failed (issue 8 added the status; spec 000's shape stays).
      failed: (s.runCounts.failed ?? 0) + (s.runCounts.timeout ?? 0),
      cancelled: s.runCounts.cancelled ?? 0,
      abnormal: s.runCounts.abnormal ?? 0,
    },
    last_7_days: {
      dates: s.days.map((d) => formatDate(d.start)),
      success_counts: s.days.map((d) => d.succeeded),
      failed_counts: s.days.map((d) => d.failed),
    },
    upcoming_tasks: s.upcoming.map((t) => ({
      task_id: t.id,
      task_name: t.name,
      conda_env: t.condaEnv,
      command: t.command,
      scheduled_time: formatDateTime(t.nextRunAt),
      cron_expression: t.cronExpression,
    })),
    recent_tasks: s.recent.map((r) => ({
      task_id: r.taskId,
      name: r.taskName,
      status: r.status,
      start_time: formatDateTime(r.startedAt),
      end_time: formatDateTime(r.endedAt),
      duration: seconds(runDurationMs(r)),
    })),
  }
}
