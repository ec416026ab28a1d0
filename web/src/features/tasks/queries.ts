import { queryOptions, useQuery } from '@tanstack/react-query'
import { api, type ResponseOf } from '../../api/client'
import type { TaskListItem } from '../../api/models'

/**
 * GET /api/tasks with no type= and no paging answers spec 000's defined tasks; the route's schema
 * also covers the history items (type=history) and spec 001's page, told apart here by their fields.
 */
export function definedTasks(body: ResponseOf<'/api/tasks', 'get'>): TaskListItem[] {
  if (!Array.isArray(body)) throw new Error('GET /api/tasks answered a page, not the list of tasks')
  return body.filter((x): x is TaskListItem => 'conda_env' in x)
}

/** Every task (spec 000: the list is not paged by the server). Prefetched on a first load of /tasks. */
export const tasksQuery = queryOptions({
  queryKey: ['tasks'],
  queryFn: async () => definedTasks(await api.get('/api/tasks')),
  refetchInterval: 5000,
  // The prefetched answer is fresh when the page mounts: not fetched a second time.
  staleTime: 2000,
})

export function useTasks() {
  return useQuery(tasksQuery)
}

export function useTask(taskId: number) {
  return useQuery({
    queryKey: ['task', taskId],
    queryFn: async () => await api.get('/api/tasks/{task_id}', { params: { task_id: taskId } }),
    refetchInterval: (q) => (q.state.data?.task.status === 'running' ? 2000 : 5000),
    retry: false,
  })
}
