import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { App } from 'antd'
import { api, ApiError, type ResponseOf } from '../../api/client'

export type EnvironmentListItem = ResponseOf<'/api/conda/environments', 'get'>[number]
export type EnvironmentDetail = ResponseOf<'/api/conda/environment/{env_name}', 'get'>
export type EnvironmentStats = ResponseOf<'/api/conda/stats', 'get'>

export const ENVIRONMENTS_KEY = ['environments'] as const

export function useEnvironments() {
  return useQuery({ queryKey: [...ENVIRONMENTS_KEY, 'list'], queryFn: () => api.get('/api/conda/environments'), refetchInterval: 10_000 })
}

export function useEnvironmentStats() {
  return useQuery({ queryKey: [...ENVIRONMENTS_KEY, 'stats'], queryFn: () => api.get('/api/conda/stats'), refetchInterval: 10_000 })
}

/**
 * One environment. While a build of it goes on (`busy`: this page's own install or removal is in
 * flight; or the server says it is building), it is read again every second, so its newest build
 * (and that build's live log) shows as soon as the server starts it.
 */
export function useEnvironment(name: string, options: { busy?: boolean } = {}) {
  return useQuery({
    queryKey: [...ENVIRONMENTS_KEY, 'detail', name],
    queryFn: () => api.get('/api/conda/environment/{env_name}', { params: { env_name: name } }),
    retry: false,
    refetchInterval: (query) => {
      const data = query.state.data
      const building = data?.status === 'building' || (data?.last_build != null && data.last_build.ended_at === null)
      return options.busy === true || building ? 1000 : false
    },
  })
}

/**
 * The server's message after an environment change, success or refusal (a delete answers 204, no
 * body: the UI's own words then); every environment query is refreshed.
 */
export function useEnvironmentMutation<V>(fn: (v: V) => Promise<{ message?: string } | null>, success: (v: V) => string, after?: (v: V) => void) {
  const queryClient = useQueryClient()
  const { message } = App.useApp()
  return useMutation({
    mutationFn: fn,
    onSuccess: (body, v) => {
      void message.success(body?.message ?? success(v))
      after?.(v)
    },
    onError: (e) => void message.error(e instanceof ApiError ? e.detail : String(e)),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ENVIRONMENTS_KEY }),
  })
}
