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
 */
export function preloadFirstPage(pathname: string, qc: QueryClient): void {
  // Signed out: the login page comes next, wherever the visitor was going.
  void qc.fetchQuery(meQuery).then(
    (me) => (me ? undefined : pages.login.preload().catch(() => undefined)),
    () => undefined,
  )
  if (pathname === '/login') return void pages.login.preload().catch(() => undefined)
  const route = routes.find((r) => matchPath(r.path, pathname))
  if (!route) return
  route.page.preload().catch(() => undefined)
  route.prefetch?.(qc)
}
