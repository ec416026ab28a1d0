import { QueryClientProvider } from '@tanstack/react-query'
import { App as AntApp, ConfigProvider, Skeleton } from 'antd'
import enUS from 'antd/locale/en_US'
import zhCN from 'antd/locale/zh_CN'
import 'dayjs/locale/zh-cn'
import dayjs from 'dayjs'
import { Suspense, useEffect } from 'react'
import { useTranslation } from 'react-i18next'
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router'
import { setUnauthenticatedHandler } from '../api/client'
import { ME_KEY, useMe } from '../api/session'
import { AppLayout } from './AppLayout'

import { pages, routes } from './pages'
import { queryClient } from './query-client'

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
            <Route
              path="/login"
              element={
                <Suspense fallback={null}>
                  <pages.login />
                </Suspense>
              }
            />
            {routes.map(({ path, page: Page }) => (
              <Route
                key={path}
                path={path}
                element={
                  <Protected>
                    <Page />
                  </Protected>
                }
              />
            ))}
            <Route path="*" element={<Navigate to="/" replace />} />
          </Routes>
        </BrowserRouter>
      </Themed>
    </QueryClientProvider>
  )
}
