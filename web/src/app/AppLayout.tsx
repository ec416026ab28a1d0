import {
  AppstoreOutlined,
  ApiOutlined,
  AuditOutlined,
  DashboardOutlined,
  DesktopOutlined,
  DownOutlined,
  KeyOutlined,
  LogoutOutlined,
  PlusOutlined,
  TeamOutlined,
  UnorderedListOutlined,
  UserOutlined,
} from '@ant-design/icons'
import { useQueryClient } from '@tanstack/react-query'
import { Button, Dropdown, Grid, Layout, Menu, Select, Space, Typography } from 'antd'
import { lazy, Suspense, useState, type ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { useLocation, useNavigate } from 'react-router'
import { api } from '../api/client'
import { ME_KEY } from '../api/session'
import type { User } from '../api/types'
import { ChangePasswordModal } from '../features/auth/ChangePasswordModal'
import { LANGUAGES, setLanguage, type Language } from '../i18n'

// Its table and form parts stay out of the first load: fetched when the user opens it.
const ApiTokensModal = lazy(() => import('../features/auth/ApiTokensModal').then((m) => ({ default: m.ApiTokensModal })))

const LANGUAGE_NAMES: Record<Language, string> = { 'zh-CN': '简体中文', en: 'English' }

function selectedKey(pathname: string): string {
  if (pathname === '/tasks/new') return '/tasks/new'
  if (pathname.startsWith('/tasks')) return '/tasks'
  if (pathname.startsWith('/environments')) return '/environments'
  return pathname
}

export function AppLayout({ user, children }: { user: User; children: ReactNode }) {
  const { t, i18n } = useTranslation()
  const navigate = useNavigate()
  const location = useLocation()
  const queryClient = useQueryClient()
  const [changing, setChanging] = useState(false)
  const [tokens, setTokens] = useState(false)
  const screens = Grid.useBreakpoint()
  const narrow = !screens.md
  const items = [
    { key: '/', icon: <DashboardOutlined />, label: t('nav.dashboard') },
    { key: '/tasks', icon: <UnorderedListOutlined />, label: t('nav.tasks') },
    { key: '/tasks/new', icon: <PlusOutlined />, label: t('nav.newTask') },
    { key: '/environments', icon: <AppstoreOutlined />, label: t('nav.environments') },
    { key: '/system', icon: <DesktopOutlined />, label: t('nav.system') },
    ...(user.role === 'admin'
      ? [
          { key: '/admin/users', icon: <TeamOutlined />, label: t('nav.users') },
          { key: '/admin/audit', icon: <AuditOutlined />, label: t('nav.audit') },
        ]
      : []),
  ]
  const signOut = async () => {
    await api.post('/api/auth/logout').catch(() => undefined)
    queryClient.clear()
    queryClient.setQueryData(ME_KEY, null)
    navigate('/login', { replace: true })
  }
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider breakpoint="md" collapsedWidth={narrow ? 0 : 64} width={200} theme="dark">
        <div style={{ color: '#fff', fontWeight: 600, fontSize: 18, padding: '16px 20px', whiteSpace: 'nowrap' }}>{t('app.name')}</div>
        <Menu theme="dark" mode="inline" selectedKeys={[selectedKey(location.pathname)]} items={items} onClick={(e) => navigate(e.key)} />
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: '#fff',
            padding: '0 16px',
            display: 'flex',
            justifyContent: 'flex-end',
            alignItems: 'center',
            gap: 12,
            borderBottom: '1px solid #f0f0f0',
          }}
        >
          <Space>
            <Select<Language>
              aria-label={t('app.language')}
              data-testid="language-switch"
              value={i18n.language as Language}
              onChange={setLanguage}
              style={{ width: 120 }}
              options={LANGUAGES.map((l) => ({ value: l, label: LANGUAGE_NAMES[l] }))}
            />
            <Dropdown
              trigger={['click']}
              menu={{
                items: [
                  { key: 'role', label: t('auth.role', { role: t(`users.roles.${user.role}`) }), disabled: true },
                  { key: 'password', icon: <KeyOutlined />, label: t('auth.changePassword') },
                  { key: 'tokens', icon: <ApiOutlined />, label: t('tokens.title') },
                  { key: 'signout', icon: <LogoutOutlined />, label: t('auth.signOut') },
                ],
                onClick: (e) => {
                  if (e.key === 'password') setChanging(true)
                  if (e.key === 'tokens') setTokens(true)
                  if (e.key === 'signout') void signOut()
                },
              }}
            >
              <Button icon={<UserOutlined />} data-testid="user-menu">
                <Typography.Text>{user.username}</Typography.Text> <DownOutlined />
              </Button>
            </Dropdown>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: narrow ? 8 : 24, minWidth: 0 }}>{children}</Layout.Content>
      </Layout>
      <ChangePasswordModal open={changing} onClose={() => setChanging(false)} />
      {tokens ? (
        <Suspense fallback={null}>
          <ApiTokensModal open onClose={() => setTokens(false)} />
        </Suspense>
      ) : null}
    </Layout>
  )
}
