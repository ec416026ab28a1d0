import type { TaskStatus, User } from '../api/models'

export type TaskAction = 'trigger' | 'pause' | 'resume' | 'stop' | 'retry' | 'delete' | 'edit'

/**
 * Which task statuses each action accepts: the server's transition table
 * (server/src/domain/task-actions.ts) mirrored, so a button is disabled exactly when the server
 * would refuse. The server stays the judge: its refusal message is shown if the two ever differ.
 */
export const ALLOWED_FROM: Record<TaskAction, readonly TaskStatus[]> = {
  trigger: ['scheduled', 'paused', 'stopped', 'completed', 'failed'],
  pause: ['scheduled', 'running'],
  resume: ['paused'],
  stop: ['scheduled', 'running', 'paused'],
  // A retry queues the next attempt of the latest run the way a trigger queues a run (the server
  // also asks that run to have failed, timed out or ended abnormally: RETRYABLE_RUN_STATUSES).
  retry: ['scheduled', 'paused', 'stopped', 'completed', 'failed'],
  delete: ['scheduled', 'paused', 'stopped', 'completed', 'failed'],
  edit: ['scheduled', 'paused', 'stopped', 'completed', 'failed'],
}

/** spec 000 update-script without force; from any other status the save needs force, which pauses the task. */
export const UPDATE_SCRIPT_FROM: readonly TaskStatus[] = ['paused', 'stopped', 'completed', 'failed']

export const TASK_ACTIONS: readonly TaskAction[] = ['trigger', 'pause', 'resume', 'stop', 'retry', 'edit', 'delete']

/** The run statuses a retry accepts (server/src/domain/run.ts RETRYABLE_RUN_STATUSES). */
export const RETRYABLE_RUN_STATUSES: readonly string[] = ['failed', 'timeout', 'abnormal']

export type Role = User['role']

/** Why an action is unavailable now (an i18n key and its values), or null when it applies. */
export interface Unavailable {
  key: 'actions.why.status' | 'actions.why.role'
  values: Record<string, string>
}

export function actionAvailability(action: TaskAction, status: TaskStatus, role: Role): Unavailable | null {
  if (role === 'viewer') return { key: 'actions.why.role', values: { role } }
  if (!ALLOWED_FROM[action].includes(status)) return { key: 'actions.why.status', values: { status } }
  return null
}
