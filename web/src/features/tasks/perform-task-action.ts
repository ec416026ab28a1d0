import { api } from '../../api/client'
import type { TaskTransitionBody } from '../../api/types'
import type { TaskAction } from '../../lib/task-actions'

export type RequestAction = Exclude<TaskAction, 'edit'>

/** One task action as its spec 000 route; resolves with the server's message. */
export async function perform(action: RequestAction, taskId: number): Promise<{ message: string }> {
  const params = { task_id: taskId }
  switch (action) {
    case 'trigger':
      return (await api.post('/api/tasks/{task_id}/trigger', undefined, { params })) as TaskTransitionBody
    case 'pause':
      return (await api.post('/api/tasks/{task_id}/pause', undefined, { params })) as TaskTransitionBody
    case 'resume':
      return (await api.post('/api/tasks/{task_id}/resume', undefined, { params })) as TaskTransitionBody
    case 'stop':
      return (await api.post('/api/tasks/{task_id}/stop', undefined, { params })) as TaskTransitionBody
    case 'delete':
      return (await api.delete('/api/tasks/{task_id}', { params })) as { message: string }
  }
}
