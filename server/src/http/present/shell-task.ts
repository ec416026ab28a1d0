/** spec 001's words for a task: `id`, `name`, `status` 0 (disabled) / 1 (enabled), ISO instants. */
import type { Task } from '../../domain/task.ts'

const iso = (at: number | null): string | null => (at == null ? null : new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'))

/** spec 001: "任务（Task）本身的status字段表示启用状态（0:禁用, 1:启用）" — a stopped or paused task is disabled. */
export const enabledStatus = (task: Pick<Task, 'status'>): 0 | 1 => (task.status === 'stopped' || task.status === 'paused' ? 0 : 1)

export function presentShellTask(task: Task, serverId: number | null): Record<string, unknown> {
  return {
    id: task.id,
    name: task.name,
    command: task.command,
    server_id: serverId,
    status: enabledStatus(task),
    last_run: iso(task.lastRunAt),
    next_run: iso(task.nextRunAt),
    created_at: iso(task.createdAt),
  }
}

export { iso as isoInstant }
