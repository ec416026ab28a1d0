import { LockOutlined, UserOutlined } from '@ant-design/icons'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { Alert, Button, Card, Form, Input, Select, Typography } from 'antd'
import { useTranslation } from 'react-i18next'
import { useNavigate, useSearchParams } from 'react-router'
import { api, ApiError } from '../../api/client'
import { ME_KEY } from '../../api/session'
import type { User } from '../../api/models'
import { LANGUAGES, setLanguage, type Language } from '../../i18n'

/** Only a path of this site: `next` comes from the URL, and must not send the user elsewhere. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/'
}

export function LoginPage() {
  const { t, i18n } = useTranslation()
  const navigate = useNavigate()
  const [params] = useSearchParams()
  const queryClient = useQueryClient()
  const login = useMutation({
    mutationFn: (v: { username: string; password: string }) => api.post('/api/auth/login', v),
    onSuccess: (body) => {
      queryClient.setQueryData(ME_KEY, body.user)
      navigate(safeNext(params.get('next')), { replace: true })
    },
  })
  const error = login.error instanceof ApiError ? login.error.detail : login.error ? String(login.error) : null
  return (
    <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', background: '#f5f5f5', padding: 16 }}>
      <Card style={{ width: 380, maxWidth: '100%' }}>
        <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', marginBottom: 16 }}>
          <Typography.Title level={3} style={{ margin: 0 }}>
            {t('auth.title')}
          </Typography.Title>
          <Select<Language>
            aria-label={t('app.language')}
            size="small"
            value={i18n.language as Language}
            onChange={setLanguage}
            options={LANGUAGES.map((l) => ({ value: l, label: l === 'zh-CN' ? '中文' : 'EN' }))}
          />
        </div>
        {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="login-error" />}
        <Form layout="vertical" onFinish={(v: { username: string; password: string }) => login.mutate(v)} requiredMark={false}>
          <Form.Item name="username" label={t('auth.username')} rules={[{ required: true, message: t('auth.required') }]}>
            <Input prefix={<UserOutlined />} autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item name="password" label={t('auth.password')} rules={[{ required: true, message: t('auth.required') }]}>
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={login.isPending}>
            {t('auth.signIn')}
          </Button>
        </Form>
      </Card>
    </div>
  )
}
