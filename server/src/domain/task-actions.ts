import { TaskyardError } from './errors.ts'
import type { TaskStatus } from './task.ts'

export type TaskAction = 'trigger' | 'pause' | 'resume' | 'stop' | 'delete' | 'update' | 'updateScript'

/** Which task statuses each action accepts. spec 000 names trigger's, resume's and delete's. */
const ALLOWED_FROM: Record<TaskAction, readonly TaskStatus[]> = {
  trigger: ['scheduled', 'paused', 'stopped', 'completed', 'failed'],
  pause: ['scheduled', 'running'],
  resume: ['paused'],
  stop: ['scheduled', 'running', 'paused'],
  delete: ['scheduled', 'paused', 'stopped', 'completed', 'failed'],
  update: ['scheduled', 'paused', 'stopped', 'completed', 'failed'],
  // running and scheduled are accepted only with force (spec 000 update-script).
  updateScript: ['paused', 'stopped', 'completed', 'failed'],
}

/** spec 000's refusal bodies, byte for byte. */
const REFUSAL: Record<TaskAction, { message: string; error: (status: TaskStatus) => string }> = {
  trigger: { message: 'Task cannot be triggered', error: (s) => `Cannot trigger a task with status: '${s}'` },
  pause: { message: 'Task cannot be paused', error: (s) => `Cannot pause a task with status: '${s}'` },
  resume: { message: 'Task is not paused', error: (s) => `Cannot resume a task with status: '${s}'` },
  stop: { message: 'Task cannot be stopped', error: (s) => `Cannot stop a task with status: '${s}'` },
  delete: { message: 'Task cannot be deleted', error: () => 'Cannot delete a task that is currently running' },
  update: { message: 'Task cannot be updated', error: () => 'Cannot update a task that is currently running' },
  updateScript: { message: 'Task script cannot be updated', error: (s) => `Cannot update a task with status: '${s}'` },
}

export function canApply(action: TaskAction, status: TaskStatus): boolean {
  return ALLOWED_FROM[action].includes(status)
}

/** The refusal for `action` on a task in `status`, as spec 000 words it. */
export function refusal(action: TaskAction, status: TaskStatus): TaskyardError {
  const r = REFUSAL[action]
  return new TaskyardError('invalid_transition', r.message, { error: r.error(status), current_status: status })
}

export function assertCanApply(action: TaskAction, status: TaskStatus): void {
  if (!canApply(action, status)) throw refusal(action, status)
}
