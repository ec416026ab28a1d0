import { api } from '../../api/client'
import type { TaskAction } from '../../lib/task-actions'

export type RequestAction = Exclude<TaskAction, 'edit'>

/**
 * The server's answer to an action: its message; `requested` when another server of the fleet
 * supervises the run and applies the action within about a second.
 */
export interface ActionAnswer {
  message: string
  requested?: true
  /** A retry: the new run and its attempt number. */
  new_execution_id?: string
  attempt?: number
}

type Words = (key: 'actions.retried' | 'actions.requested' | 'actions.requestedOf' | `actions.${RequestAction}`, v?: Record<string, unknown>) => string

/**
 * What to tell the user of an answer: the server's words, with what a retry queued. An action
 * another server applies (`requested`) is said to be requested, not done: the server's message
 * ("Task paused successfully") describes the task as it will be, not as it is yet.
 */
export function answerText(action: RequestAction, body: ActionAnswer, t: Words): string {
  if (body.requested) return `${t('actions.requestedOf', { action: t(`actions.${action}`) })} ${t('actions.requested')}`
  const parts = [body.message]
  if (body.new_execution_id) parts.push(t('actions.retried', { id: body.new_execution_id, attempt: body.attempt }))
  return parts.join(' ')
}

/** One task action as its spec 000 route; pause and stop carry the optional reason. */
export async function perform(action: RequestAction, taskId: number, reason?: string): Promise<ActionAnswer> {
  const params = { task_id: taskId }
  const why = reason?.trim() ? { reason: reason.trim() } : undefined
  switch (action) {
    case 'trigger':
      return await api.post('/api/tasks/{task_id}/trigger', undefined, { params })
    case 'pause':
      return await api.post('/api/tasks/{task_id}/pause', why, { params })
    case 'resume':
      return await api.post('/api/tasks/{task_id}/resume', why, { params })
    case 'stop':
      return await api.post('/api/tasks/{task_id}/stop', why, { params })
    case 'retry':
      return await api.post('/api/tasks/{task_id}/retry', undefined, { params })
    case 'delete':
      return await api.delete('/api/tasks/{task_id}', { params })
  }
}
