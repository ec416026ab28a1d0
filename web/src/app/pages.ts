import type { QueryClient } from '@tanstack/react-query'
import { matchPath } from 'react-router'
import { meQuery } from '../api/session'
import { statsQuery } from '../features/dashboard/queries'
import { tasksQuery } from '../features/tasks/queries'
import { lazyPage, type LazyPage } from './lazy-page'

// Each page is its own chunk: the first load fetches only the page it shows.
export const pages = {
  login: lazyPage(() => import('../features/auth/LoginPage').then((m) => m.LoginPage)),
  dashboard: lazyPage(() => import('../features/dashboard/DashboardPage').then((m) => m.DashboardPage)),
  tasks: lazyPage(() => import('../features/tasks/TasksPage').then((m) => m.TasksPage)),
  newTask: lazyPage(() => import('../features/tasks/NewTaskPage').then((m) => m.NewTaskPage)),
  taskDetail: lazyPage(() => import('../features/tasks/TaskDetailPage').then((m) => m.TaskDetailPage)),
  scriptEditor: lazyPage(() => import('../features/tasks/ScriptEditorPage').then((m) => m.ScriptEditorPage)),
  environments: lazyPage(() => import('../features/environments/EnvironmentsPage').then((m) => m.EnvironmentsPage)),
  environmentDetail: lazyPage(() => import('../features/environments/EnvironmentDetailPage').then((m) => m.EnvironmentDetailPage)),
  system: lazyPage(() => import('../features/system/SystemPage').then((m) => m.SystemPage)),
  queue: lazyPage(() => import('../features/queue/QueuePage').then((m) => m.QueuePage)),
  schedules: lazyPage(() => import('../features/schedules/SchedulesPage').then((m) => m.SchedulesPage)),
  servers: lazyPage(() => import('../features/servers/ServersPage').then((m) => m.ServersPage)),
  settings: lazyPage(() => import('../features/settings/SettingsPage').then((m) => m.SettingsPage)),
  users: lazyPage(() => import('../features/admin/UsersPage').then((m) => m.UsersPage)),
  audit: lazyPage(() => import('../features/admin/AuditPage').then((m) => m.AuditPage)),
} satisfies Record<string, LazyPage>

/** The signed-in pages, in the order the router tries them. */
export const routes: { path: string; page: LazyPage; prefetch?(qc: QueryClient): void }[] = [
  { path: '/', page: pages.dashboard, prefetch: (qc) => void qc.prefetchQuery(statsQuery) },
  { path: '/tasks', page: pages.tasks, prefetch: (qc) => void qc.prefetchQuery(tasksQuery) },
  { path: '/tasks/new', page: pages.newTask },
  { path: '/tasks/:taskId', page: pages.taskDetail },
  { path: '/tasks/:taskId/files', page: pages.scriptEditor },
  { path: '/environments', page: pages.environments },
  { path: '/environments/:envName', page: pages.environmentDetail },
  { path: '/system', page: pages.system },
  { path: '/queue', page: pages.queue },
  { path: '/schedules', page: pages.schedules },
  { path: '/servers', page: pages.servers },
  { path: '/admin/settings', page: pages.settings },
  { path: '/admin/users', page: pages.users },
  { path: '/admin/audit', page: pages.audit },
]

/**
 * Before the first render: ask who is signed in, fetch the page's chunk and its data, all at once.
 * Without this they run one after another (script → /api/auth/me → layout → chunk → data).
 * A signed-out visitor costs one refused data request; the login page then takes over.
 *
 * Settles when the page's chunk is here (or failed, or `maxWaitMs` passed): main.tsx renders only
 * then. Rendered earlier, a page whose chunk came after /api/auth/me suspended, its fallback was
 * shown, and React held the page back up to 300 ms once it came (its Suspense fallback throttle):
 * a third of a cold load of the task list, spent idle.
 */
export function preloadFirstPage(pathname: string, qc: QueryClient, maxWaitMs = 1000): Promise<void> {
  // Signed out: the login page comes next, wherever the visitor was going.
  void qc.fetchQuery(meQuery).then(
    (me) => (me ? undefined : pages.login.preload().catch(() => undefined)),
    () => undefined,
  )
  const route = pathname === '/login' ? { page: pages.login } : routes.find((r) => matchPath(r.path, pathname))
  if (!route) return Promise.resolve()
  if ('prefetch' in route) route.prefetch?.(qc)
  const chunk = route.page.preload().then(
    () => undefined,
    () => undefined,
  )
  return Promise.race([chunk, new Promise<void>((resolve) => setTimeout(resolve, maxWaitMs))])
}
