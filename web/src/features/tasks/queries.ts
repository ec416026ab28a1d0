import { useQuery } from '@tanstack/react-query'
import { api } from '../../api/client'
import type { TaskDetail, TaskListItem } from '../../api/types'

export function useTasks() {
  return useQuery({
    queryKey: ['tasks'],
    queryFn: async () => (await api.get('/api/tasks')) as TaskListItem[],
    refetchInterval: 5000,
  })
}

export function useTask(taskId: number) {
  return useQuery({
    queryKey: ['task', taskId],
    queryFn: async () => (await api.get('/api/tasks/{task_id}', { params: { task_id: taskId } })) as TaskDetail,
    refetchInterval: (q) => (q.state.data?.task.status === 'running' ? 2000 : 5000),
    retry: false,
  })
}
