/**
 * Renders a page as the app does (TanStack Query, router, Ant Design's App) against a scripted
 * server: each request is recorded and answered from `routes` ("METHOD /path" → status and body).
 * The page is what is under test; the real server is driven by the e2e tests.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render } from '@testing-library/react'
import { App } from 'antd'
import type { ReactNode } from 'react'
import { MemoryRouter } from 'react-router'
import { afterEach } from 'vitest'
import { ME_KEY } from '../api/session'
import type { User } from '../api/models'

export interface Sent {
  method: string
  path: string
  query: string
  body: unknown
}
type Answer = { status?: number; body: unknown } | ((sent: Sent) => { status?: number; body: unknown })

const realFetch = globalThis.fetch
afterEach(() => {
  globalThis.fetch = realFetch
})

export function user(role: User['role'], user_id = 1): User {
  return { user_id, username: role, role, disabled: false, created_at: '2026-01-01 00:00:00', updated_at: '2026-01-01 00:00:00' }
}

export function renderPage(page: ReactNode, options: { role: User['role']; routes: Record<string, Answer>; userId?: number }) {
  const sent: Sent[] = []
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://127.0.0.1')
    const method = (init?.method ?? 'GET').toUpperCase()
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : (init?.body ?? null)
    const s: Sent = { method, path: url.pathname, query: url.search, body }
    sent.push(s)
    const answer = options.routes[`${method} ${url.pathname}`]
    const a = typeof answer === 'function' ? answer(s) : (answer ?? { status: 404, body: { success: false, message: `no route ${method} ${url.pathname}` } })
    return new Response(JSON.stringify(a.body), { status: a.status ?? 200, headers: { 'content-type': 'application/json' } })
  }) as typeof fetch
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  qc.setQueryData(ME_KEY, user(options.role, options.userId))
  const view = render(
    <QueryClientProvider client={qc}>
      <MemoryRouter>
        <App>{page}</App>
      </MemoryRouter>
    </QueryClientProvider>,
  )
  return { ...view, sent, qc }
}

/** The state of an ActionButton by its test id: disabled and the reason it gives. */
export function buttonState(root: ParentNode, testId: string, index = 0) {
  const wrap = root.querySelectorAll(`[data-testid="${testId}"]`)[index]
  if (!wrap) throw new Error(`no ${testId}`)
  return { disabled: wrap.querySelector('button')!.disabled, why: wrap.getAttribute('data-why') }
}
