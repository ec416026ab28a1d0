import { PlusOutlined } from '@ant-design/icons'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Alert, App, Button, Card, Form, Input, Modal, Result, Select, Space, Table, Tag, Tooltip } from 'antd'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, ApiError } from '../../api/client'
import { useMe } from '../../api/session'
import type { User } from '../../api/models'
import { ActionButton } from '../../components/ActionButton'

const ROLES = ['admin', 'operator', 'viewer'] as const

export function UsersPage() {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const me = useMe()
  const queryClient = useQueryClient()
  const [creating, setCreating] = useState(false)
  const [form] = Form.useForm<{ username: string; password: string; role: User['role'] }>()
  const users = useQuery({
    queryKey: ['users'],
    queryFn: async () => (await api.get('/api/users')).users,
    enabled: me.data?.role === 'admin',
  })
  const done = (text: string) => {
    void message.success(text)
    void queryClient.invalidateQueries({ queryKey: ['users'] })
  }
  const fail = (e: unknown) => void message.error(e instanceof ApiError ? e.detail : String(e))
  const update = useMutation({
    mutationFn: (v: { id: number; patch: { role?: User['role']; disabled?: boolean } }) =>
      api.patch('/api/users/{user_id}', v.patch, { params: { user_id: v.id } }),
    onSuccess: () => done(t('users.updated')),
    onError: fail,
  })
  const create = useMutation({
    mutationFn: (v: { username: string; password: string; role: User['role'] }) => api.post('/api/users', v),
    onSuccess: () => {
      done(t('users.created'))
      setCreating(false)
      form.resetFields()
    },
  })
  if (me.data && me.data.role !== 'admin') return <Result status="403" title={t('users.adminOnly')} />
  return (
    <Card
      title={t('users.title')}
      extra={
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
          {t('users.newUser')}
        </Button>
      }
    >
      <Table<User>
        rowKey="user_id"
        size="middle"
        loading={users.isPending}
        dataSource={users.data ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        columns={[
          { title: 'ID', dataIndex: 'user_id', width: 60 },
          { title: t('users.username'), dataIndex: 'username' },
          {
            title: t('users.role'),
            dataIndex: 'role',
            render: (role: User['role'], u) => (
              // Always shown; on one's own row disabled, saying why (spec 000a's rule for actions).
              <Tooltip title={u.user_id === me.data?.user_id ? t('users.self') : undefined}>
                <span style={{ display: 'inline-block' }} tabIndex={u.user_id === me.data?.user_id ? 0 : undefined} data-testid="role-select">
                  <Select<User['role']>
                    size="small"
                    value={role}
                    disabled={u.user_id === me.data?.user_id}
                    style={{ width: 140 }}
                    aria-label={t('users.role')}
                    onChange={(r) => update.mutate({ id: u.user_id, patch: { role: r } })}
                    options={ROLES.map((r) => ({ value: r, label: t(`users.roles.${r}`) }))}
                  />
                </span>
              </Tooltip>
            ),
          },
          {
            title: t('tasks.status'),
            dataIndex: 'disabled',
            render: (d: boolean) => (d ? <Tag color="error">{t('users.disabled')}</Tag> : <Tag color="success">{t('users.active')}</Tag>),
          },
          { title: t('users.createdAt'), dataIndex: 'created_at', responsive: ['md'] },
          {
            title: t('actions.label'),
            key: 'actions',
            render: (_, u) => {
              const self = u.user_id === me.data?.user_id
              return (
                <Space>
                  <ActionButton
                    label={t('users.disable')}
                    what={t('users.disableWhat')}
                    why={self ? t('users.self') : u.disabled ? t('actions.why.status', { status: t('users.disabled') }) : null}
                    danger
                    onClick={() => update.mutate({ id: u.user_id, patch: { disabled: true } })}
                  />
                  <ActionButton
                    label={t('users.enable')}
                    what={t('users.enableWhat')}
                    why={!u.disabled ? t('actions.why.status', { status: t('users.active') }) : null}
                    onClick={() => update.mutate({ id: u.user_id, patch: { disabled: false } })}
                  />
                </Space>
              )
            },
          },
        ]}
      />
      <Modal
        open={creating}
        title={t('users.newUser')}
        okText={t('common.create')}
        cancelText={t('common.cancel')}
        onOk={() => form.submit()}
        onCancel={() => setCreating(false)}
        confirmLoading={create.isPending}
        destroyOnHidden
      >
        {create.error && (
          <Alert type="error" showIcon title={create.error instanceof ApiError ? create.error.detail : String(create.error)} style={{ marginBottom: 16 }} />
        )}
        <Form form={form} layout="vertical" initialValues={{ role: 'operator' }} onFinish={(v) => create.mutate(v)}>
          <Form.Item name="username" label={t('users.username')} rules={[{ required: true, message: t('auth.required') }]}>
            <Input autoComplete="off" />
          </Form.Item>
          <Form.Item name="password" label={t('users.password')} rules={[{ required: true, min: 8, message: t('auth.minLength') }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Form.Item name="role" label={t('users.role')}>
            <Select options={ROLES.map((r) => ({ value: r, label: t(`users.roles.${r}`) }))} />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  )
}
