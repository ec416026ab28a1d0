import type { ScheduleSlot } from '../../domain/schedule-slot.ts'
import type { Task } from '../../domain/task.ts'
import { formatDateTime } from '../../lib/format-time.ts'

/** spec 003's ScheduleResponse for a cron task (`flow_id` is our `task_id`), plus its zone and misfire policy. */
export function presentSchedule(task: Task): Record<string, unknown> {
  return {
    id: String(task.id),
    task_id: task.id,
    task_name: task.name,
    cron_expression: task.cronExpression,
    is_enabled: task.scheduleEnabled,
    description: task.scheduleDescription,
    time_zone: task.timeZone,
    misfire: task.misfire,
    last_execution_at: formatDateTime(task.lastScheduledAt),
    // A switched-off schedule has no next time, whatever the row still holds.
    next_execution_at: task.scheduleEnabled && (task.status === 'scheduled' || task.status === 'running') ? formatDateTime(task.nextRunAt) : null,
    execution_count: task.scheduleRuns,
    created_at: formatDateTime(task.createdAt),
    updated_at: formatDateTime(task.updatedAt),
  }
}

export function presentSlot(slot: ScheduleSlot): Record<string, unknown> {
  return {
    scheduled_at: formatDateTime(slot.slotAt),
    outcome: slot.outcome,
    reason: slot.reason,
    execution_id: slot.runId == null ? null : String(slot.runId),
    recorded_at: formatDateTime(slot.recordedAt),
  }
}
