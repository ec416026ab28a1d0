import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Alert, App, Button, Form, Input, InputNumber, Modal, Space, Table, Tag, Typography } from 'antd'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, ApiError } from '../../api/client'
import type { ApiToken } from '../../api/models'
import { ActionButton } from '../../components/ActionButton'

const TOKENS_KEY = ['auth', 'tokens'] as const

/** The user's own API tokens: listed without secrets; a new one's secret is shown once, here. */
export function ApiTokensModal({ open, onClose }: { open: boolean; onClose(): void }) {
  const { t } = useTranslation()
  const { message, modal } = App.useApp()
  const queryClient = useQueryClient()
  const [form] = Form.useForm<{ name: string; expires_in_days?: number | null }>()
  const [secret, setSecret] = useState<string | null>(null)
  const tokens = useQuery({
    queryKey: TOKENS_KEY,
    queryFn: async () => (await api.get('/api/auth/tokens')).tokens,
    enabled: open,
  })
  const onError = (e: unknown) => void message.error(e instanceof ApiError ? e.detail : String(e))
  const create = useMutation({
    mutationFn: (v: { name: string; expires_in_days?: number | null }) =>
      api.post('/api/auth/tokens', { name: v.name.trim(), ...(v.expires_in_days ? { expires_in_days: v.expires_in_days } : {}) }),
    onSuccess: (body) => {
      setSecret(body.token.token)
      form.resetFields()
      void queryClient.invalidateQueries({ queryKey: TOKENS_KEY })
    },
    onError,
  })
  const revoke = useMutation({
    mutationFn: (id: number) => api.delete('/api/auth/tokens/{token_id}', { params: { token_id: id } }),
    onSuccess: (body) => void message.success(body.message),
    onError,
    onSettled: () => void queryClient.invalidateQueries({ queryKey: TOKENS_KEY }),
  })
  const close = () => {
    setSecret(null)
    onClose()
  }
  return (
    <Modal open={open} title={t('tokens.title')} onCancel={close} footer={<Button onClick={close}>{t('tokens.close')}</Button>} width={760} destroyOnHidden>
      {secret ? (
        <Alert
          type="success"
          showIcon
          style={{ marginBottom: 16 }}
          message={t('tokens.once')}
          description={
            <Typography.Text code copyable data-testid="token-secret">
              {secret}
            </Typography.Text>
          }
        />
      ) : null}
      <Form form={form} layout="inline" onFinish={(v) => create.mutate(v)} style={{ marginBottom: 16, rowGap: 8 }}>
        <Form.Item name="name" rules={[{ required: true, whitespace: true, message: t('auth.required') }]}>
          <Input placeholder={t('tokens.name')} aria-label={t('tokens.name')} data-testid="token-name" />
        </Form.Item>
        <Form.Item name="expires_in_days">
          <InputNumber min={1} max={3650} placeholder={t('tokens.expiresInDays')} aria-label={t('tokens.expiresInDays')} style={{ width: 180 }} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={create.isPending} data-testid="token-create">
          {t('tokens.create')}
        </Button>
      </Form>
      <Table<ApiToken>
        rowKey="token_id"
        size="small"
        loading={tokens.isPending}
        dataSource={tokens.data ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('tokens.empty') }}
        columns={[
          { title: t('tokens.name'), dataIndex: 'name' },
          { title: t('tokens.prefix'), dataIndex: 'prefix', render: (p: string) => <Typography.Text code>{p}…</Typography.Text> },
          { title: t('tokens.createdAt'), dataIndex: 'created_at', render: (v: string | null) => v ?? '—' },
          { title: t('tokens.lastUsed'), dataIndex: 'last_used_at', render: (v: string | null) => v ?? '—' },
          { title: t('tokens.expiresAt'), dataIndex: 'expires_at', render: (v: string | null) => v ?? t('tokens.never') },
          {
            title: t('actions.label'),
            key: 'actions',
            render: (_, r) => (
              <Space>
                {r.revoked_at ? <Tag>{t('tokens.revoked')}</Tag> : null}
                <ActionButton
                  testId="token-revoke"
                  label={t('tokens.revoke')}
                  what={t('tokens.revokeWhat')}
                  why={r.revoked_at ? t('tokens.why.revoked', { at: r.revoked_at }) : null}
                  danger
                  loading={revoke.isPending && revoke.variables === r.token_id}
                  onClick={() =>
                    modal.confirm({
                      title: t('tokens.confirmRevoke', { name: r.name }),
                      okText: t('common.yes'),
                      cancelText: t('common.no'),
                      okButtonProps: { danger: true },
                      onOk: () => revoke.mutateAsync(r.token_id).catch(() => undefined),
                    })
                  }
                />
              </Space>
            ),
          },
        ]}
      />
    </Modal>
  )
}
