import { priorityWord } from '../../domain/priority.ts'
import type { Run } from '../../domain/run.ts'
import { formatDateTime } from '../../lib/format-time.ts'
import { runDurationMs } from './task.ts'
import { megabytes, seconds } from './units.ts'

/**
 * One run in detail (spec 003's detailed status, in spec 000's words): GET /api/executions/<id>
 * and each item of GET /api/tasks/<id>/executions. Every field is always present (null when
 * unknown), so a client never guesses whether one was left out.
 */
export function presentRunDetail(run: Run, taskName: string, queuePosition: number | null, artifactCount: number): Record<string, unknown> {
  return {
    execution_id: String(run.id),
    task_id: run.taskId,
    task_name: taskName,
    status: run.status,
    trigger: run.trigger,
    priority: priorityWord(run.priority),
    priority_value: run.priority,
    attempt: run.attempt,
    first_execution_id: run.firstRunId == null ? null : String(run.firstRunId),
    retry_of_execution_id: run.retryOf == null ? null : String(run.retryOf),
    not_before: formatDateTime(run.notBefore),
    requested_action: run.requestedAction,
    queued_at: formatDateTime(run.queuedAt),
    start_time: formatDateTime(run.startedAt),
    end_time: formatDateTime(run.endedAt),
    duration: seconds(runDurationMs(run)),
    exit_code: run.exitCode,
    signal: run.signal,
    error: run.error,
    output_truncated: run.outputTruncated,
    peak_memory: megabytes(run.peakRssBytes),
    avg_memory: megabytes(run.avgRssBytes),
    pause_reason: run.pauseReason,
    paused_by: run.pausedBy,
    resume_reason: run.resumeReason,
    resumed_by: run.resumedBy,
    stop_reason: run.stopReason,
    stopped_by: run.stoppedBy,
    queue_position: queuePosition,
    artifact_count: artifactCount,
    artifacts_url: `/api/executions/${run.id}/artifacts`,
    logs_url: `/api/tasks/${run.taskId}/executions/${run.id}/logs`,
  }
}

/** spec 003's brief status item: which task runs, since when. */
export function presentActiveRun(run: Run, taskName: string): Record<string, unknown> {
  return {
    task_id: run.taskId,
    task_name: taskName,
    execution_id: String(run.id),
    status: run.status,
    start_time: formatDateTime(run.startedAt),
  }
}
