import { queryOptions } from '@tanstack/react-query'
import { api } from '../../api/client'
import type { Stats } from '../../api/models'

/** spec 000's statistics. Prefetched on a first load of the dashboard. */
export const statsQuery = queryOptions({
  queryKey: ['stats'],
  queryFn: async () => await api.get('/api/tasks/stats'),
  refetchInterval: 10_000,
  staleTime: 2000,
})
