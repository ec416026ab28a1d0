import { queryOptions, useQuery } from '@tanstack/react-query'
import { api, ApiError } from './client'
import type { User } from './models'

export const ME_KEY = ['auth', 'me'] as const

/** The signed-in user; null when not signed in (a 401). Started before the first render (app/preload.ts). */
export const meQuery = queryOptions({
  queryKey: ME_KEY,
  queryFn: async (): Promise<User | null> => {
    try {
      const body = await api.get('/api/auth/me')
      return body.user
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return null
      throw e
    }
  },
  staleTime: 60_000,
  retry: false,
})

export function useMe() {
  return useQuery(meQuery)
}
