import { queryOptions, useQuery } from '@tanstack/react-query'
import { api } from '../../api/client'
import type { TaskDetail, TaskListItem } from '../../api/types'

/** Every task (spec 000: the list is not paged by the server). Prefetched on a first load of /tasks. */
export const tasksQuery = queryOptions({
  queryKey: ['tasks'],
  queryFn: async () => (await api.get('/api/tasks')) as TaskListItem[],
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
    queryFn: async () => (await api.get('/api/tasks/{task_id}', { params: { task_id: taskId } })) as TaskDetail,
    refetchInterval: (q) => (q.state.data?.task.status === 'running' ? 2000 : 5000),
    retry: false,
  })
}
