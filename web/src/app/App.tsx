import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { App as AntApp, ConfigProvider, Skeleton } from 'antd'
import enUS from 'antd/locale/en_US'
import zhCN from 'antd/locale/zh_CN'
import 'dayjs/locale/zh-cn'
import dayjs from 'dayjs'
import { lazy, Suspense, useEffect } from 'react'
import { useTranslation } from 'react-i18next'
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router'
import { setUnauthenticatedHandler } from '../api/client'
import { ME_KEY, useMe } from '../api/session'
import { LoginPage } from '../features/auth/LoginPage'
import { AppLayout } from './AppLayout'

// Each page is its own chunk: the first load fetches only the page it shows.
const AuditPage = lazy(() => import('../features/admin/AuditPage').then((m) => ({ default: m.AuditPage })))
const UsersPage = lazy(() => import('../features/admin/UsersPage').then((m) => ({ default: m.UsersPage })))
const DashboardPage = lazy(() => import('../features/dashboard/DashboardPage').then((m) => ({ default: m.DashboardPage })))
const SystemPage = lazy(() => import('../features/system/SystemPage').then((m) => ({ default: m.SystemPage })))
const NewTaskPage = lazy(() => import('../features/tasks/NewTaskPage').then((m) => ({ default: m.NewTaskPage })))
const TaskDetailPage = lazy(() => import('../features/tasks/TaskDetailPage').then((m) => ({ default: m.TaskDetailPage })))
const ScriptEditorPage = lazy(() => import('../features/tasks/ScriptEditorPage').then((m) => ({ default: m.ScriptEditorPage })))
const EnvironmentsPage = lazy(() => import('../features/environments/EnvironmentsPage').then((m) => ({ default: m.EnvironmentsPage })))
const EnvironmentDetailPage = lazy(() => import('../features/environments/EnvironmentDetailPage').then((m) => ({ default: m.EnvironmentDetailPage })))
const TasksPage = lazy(() => import('../features/tasks/TasksPage').then((m) => ({ default: m.TasksPage })))

const queryClient = new QueryClient({
  defaultOptions: { queries: { refetchOnWindowFocus: true, retry: 1 } },
})

/** Sends any 401 to the login page, remembering where the user was. */
function UnauthenticatedRedirect() {
  const navigate = useNavigate()
  const location = useLocation()
  useEffect(() => {
    setUnauthenticatedHandler(() => {
      queryClient.setQueryData(ME_KEY, null)
      if (!window.location.pathname.startsWith('/login')) {
        navigate(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`, { replace: true })
      }
    })
  }, [navigate, location])
  return null
}

function Protected({ children }: { children: React.ReactNode }) {
  const me = useMe()
  const location = useLocation()
  if (me.isPending) return null
  if (!me.data) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />
  return (
    <AppLayout user={me.data}>
      <Suspense fallback={<Skeleton active paragraph={{ rows: 6 }} />}>{children}</Suspense>
    </AppLayout>
  )
}

function Themed({ children }: { children: React.ReactNode }) {
  const { i18n } = useTranslation()
  const zh = i18n.language === 'zh-CN'
  useEffect(() => {
    dayjs.locale(zh ? 'zh-cn' : 'en')
    document.documentElement.lang = i18n.language
  }, [zh, i18n.language])
  return (
    <ConfigProvider locale={zh ? zhCN : enUS} theme={{ token: { colorPrimary: '#1677ff' } }}>
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  )
}

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <Themed>
        <BrowserRouter>
          <UnauthenticatedRedirect />
          <Routes>
            <Route path="/login" element={<LoginPage />} />
            <Route
              path="/"
              element={
                <Protected>
                  <DashboardPage />
                </Protected>
              }
            />
            <Route
              path="/tasks"
              element={
                <Protected>
                  <TasksPage />
                </Protected>
              }
            />
            <Route
              path="/tasks/new"
              element={
                <Protected>
                  <NewTaskPage />
                </Protected>
              }
            />
            <Route
              path="/tasks/:taskId"
              element={
                <Protected>
                  <TaskDetailPage />
                </Protected>
              }
            />
            <Route
              path="/tasks/:taskId/files"
              element={
                <Protected>
                  <ScriptEditorPage />
                </Protected>
              }
            />
            <Route
              path="/environments"
              element={
                <Protected>
                  <EnvironmentsPage />
                </Protected>
              }
            />
            <Route
              path="/environments/:envName"
              element={
                <Protected>
                  <EnvironmentDetailPage />
                </Protected>
              }
            />
            <Route
              path="/system"
              element={
                <Protected>
                  <SystemPage />
                </Protected>
              }
            />
            <Route
              path="/admin/users"
              element={
                <Protected>
                  <UsersPage />
                </Protected>
              }
            />
            <Route
              path="/admin/audit"
              element={
                <Protected>
                  <AuditPage />
                </Protected>
              }
            />
            <Route path="*" element={<Navigate to="/" replace />} />
          </Routes>
        </BrowserRouter>
      </Themed>
    </QueryClientProvider>
  )
}
