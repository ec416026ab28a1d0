import {
  AppstoreOutlined,
  ApiOutlined,
  AuditOutlined,
  CloudServerOutlined,
  FieldTimeOutlined,
  OrderedListOutlined,
  SettingOutlined,
  DashboardOutlined,
  DesktopOutlined,
  DownOutlined,
  GlobalOutlined,
  KeyOutlined,
  LogoutOutlined,
  PlusOutlined,
  TeamOutlined,
  UnorderedListOutlined,
  UserOutlined,
} from '@ant-design/icons'
import { useQueryClient } from '@tanstack/react-query'
import { Button, Dropdown, Grid, Layout, Menu, Space } from 'antd'
import { lazy, Suspense, useState, type ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { useLocation, useNavigate } from 'react-router'
import { api } from '../api/client'
import { ME_KEY } from '../api/session'
import type { User } from '../api/models'
import { LANGUAGES, setLanguage, type Language } from '../i18n'

// Their table and form parts stay out of the first load: fetched when the user opens one.
const ChangePasswordModal = lazy(() => import('../features/auth/ChangePasswordModal').then((m) => ({ default: m.ChangePasswordModal })))
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
    { key: '/queue', icon: <OrderedListOutlined />, label: t('nav.queue') },
    { key: '/schedules', icon: <FieldTimeOutlined />, label: t('nav.schedules') },
    { key: '/servers', icon: <CloudServerOutlined />, label: t('nav.servers') },
    { key: '/system', icon: <DesktopOutlined />, label: t('nav.system') },
    ...(user.role === 'admin'
      ? [
          { key: '/admin/users', icon: <TeamOutlined />, label: t('nav.users') },
          { key: '/admin/audit', icon: <AuditOutlined />, label: t('nav.audit') },
          { key: '/admin/settings', icon: <SettingOutlined />, label: t('nav.settings') },
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
      <Layout.Sider
        breakpoint="md"
        collapsedWidth={narrow ? 0 : 64}
        width={200}
        theme="dark"
        // On a phone the menu's toggle sits in the header's empty left end, not over the page title.
        zeroWidthTriggerStyle={{ top: 12 }}
      >
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
            {/* A menu rather than a Select: the select (with its virtual list) stays out of the first load. */}
            <Dropdown
              trigger={['click']}
              menu={{
                selectable: true,
                selectedKeys: [i18n.language],
                items: LANGUAGES.map((l) => ({ key: l, label: <span title={LANGUAGE_NAMES[l]}>{LANGUAGE_NAMES[l]}</span> })),
                onClick: (e) => setLanguage(e.key as Language),
              }}
            >
              <Button icon={<GlobalOutlined />} data-testid="language-switch" aria-label={`${t('app.language')}: ${LANGUAGE_NAMES[i18n.language as Language]}`}>
                {narrow ? null : LANGUAGE_NAMES[i18n.language as Language]} <DownOutlined />
              </Button>
            </Dropdown>
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
                <span style={{ maxWidth: narrow ? 96 : 200, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{user.username}</span>{' '}
                <DownOutlined />
              </Button>
            </Dropdown>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: narrow ? 8 : 24, minWidth: 0 }}>{children}</Layout.Content>
      </Layout>
      {changing ? (
        <Suspense fallback={null}>
          <ChangePasswordModal open onClose={() => setChanging(false)} />
        </Suspense>
      ) : null}
      {tokens ? (
        <Suspense fallback={null}>
          <ApiTokensModal open onClose={() => setTokens(false)} />
        </Suspense>
      ) : null}
    </Layout>
  )
}
