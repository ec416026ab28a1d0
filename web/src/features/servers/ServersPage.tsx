import { ApiOutlined, CodeOutlined, DeleteOutlined, EditOutlined, KeyOutlined, PlusOutlined, SafetyCertificateOutlined } from '@ant-design/icons'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Alert, App, Card, Descriptions, Form, Input, InputNumber, Modal, Radio, Select, Space, Table, Tag, Typography } from 'antd'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useNavigate } from 'react-router'
import { api, ApiError, type BodyOf, type ResponseOf } from '../../api/client'
import { useMe } from '../../api/session'
import type { User } from '../../api/models'
import { ActionButton } from '../../components/ActionButton'
import { adminWhy, roleWhy } from '../../lib/roles'
import { WhenFields } from '../../components/WhenFields'

export type Server = ResponseOf<'/api/servers', 'get'>['servers'][number]
type TestResult = ResponseOf<'/api/servers/{id}/test', 'post'>

interface ServerValues {
  name: string
  host: string
  port: number
  username: string
  auth: 'password' | 'key'
  password?: string
  private_key?: string
  passphrase?: string
  labels: string[]
  description?: string
  operator_ids: number[]
}

const errorText = (e: unknown) => (e instanceof ApiError ? e.detail : String(e))

/** Create or edit a server: a password or a private key, never shown back (empty keeps the stored one). */
function ServerModal({ server, onClose }: { server: Server | null; onClose(): void }) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const queryClient = useQueryClient()
  const [form] = Form.useForm<ServerValues>()
  const auth = Form.useWatch('auth', form) ?? server?.auth_method ?? 'password'
  const [error, setError] = useState<string | null>(null)
  const users = useQuery({ queryKey: ['users'], queryFn: async () => (await api.get('/api/users')).users })
  const save = useMutation({
    mutationFn: (v: ServerValues) => {
      const body: BodyOf<'/api/servers', 'post'> = {
        name: v.name.trim(),
        host: v.host.trim(),
        port: v.port,
        username: v.username.trim(),
        labels: v.labels ?? [],
        description: v.description ?? '',
        operator_ids: v.operator_ids ?? [],
      }
      if (v.auth === 'password' && v.password) body.password = v.password
      if (v.auth === 'key' && v.private_key) {
        body.private_key = v.private_key
        if (v.passphrase) body.passphrase = v.passphrase
      }
      return server ? api.put('/api/servers/{id}', body, { params: { id: server.id } }) : api.post('/api/servers', body)
    },
    onSuccess: (body) => {
      void message.success(body.message ?? t('servers.saved'))
      void queryClient.invalidateQueries({ queryKey: ['servers'] })
      onClose()
    },
    onError: (e) => setError(errorText(e)),
  })
  const keep = server ? t('servers.keepSecret') : undefined
  return (
    <Modal
      open
      title={server ? t('servers.editTitle', { name: server.name }) : t('servers.newServer')}
      okText={server ? t('common.save') : t('common.create')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={save.isPending}
      destroyOnHidden
      width={640}
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="server-error" />}
      <Form<ServerValues>
        form={form}
        layout="vertical"
        data-testid="server-form"
        initialValues={{
          name: server?.name ?? '',
          host: server?.host ?? '',
          port: server?.port ?? 22,
          username: server?.username ?? '',
          auth: server?.auth_method ?? 'password',
          labels: server?.labels ?? [],
          description: server?.description ?? '',
          operator_ids: server?.operator_ids ?? [],
        }}
        onFinish={(v) => {
          setError(null)
          save.mutate(v)
        }}
      >
        <Form.Item name="name" label={t('servers.name')} rules={[{ required: true, message: t('auth.required') }]}>
          <Input maxLength={100} />
        </Form.Item>
        <Space.Compact block>
          <Form.Item name="host" label={t('servers.host')} rules={[{ required: true, message: t('auth.required') }]} style={{ flex: 1 }}>
            <Input maxLength={253} placeholder="10.0.0.5" />
          </Form.Item>
          <Form.Item name="port" label={t('servers.port')} style={{ width: 120 }}>
            <InputNumber min={1} max={65535} style={{ width: '100%' }} />
          </Form.Item>
        </Space.Compact>
        <Form.Item name="username" label={t('servers.username')} rules={[{ required: true, message: t('auth.required') }]}>
          <Input maxLength={64} autoComplete="off" />
        </Form.Item>
        <Form.Item name="auth" label={t('servers.auth')}>
          <Radio.Group
            optionType="button"
            options={[
              { value: 'password', label: t('servers.authPassword') },
              { value: 'key', label: t('servers.authKey') },
            ]}
          />
        </Form.Item>
        {auth === 'password' ? (
          <Form.Item name="password" label={t('servers.password')} extra={keep} rules={server ? [] : [{ required: true, message: t('auth.required') }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
        ) : (
          <>
            <Form.Item name="private_key" label={t('servers.privateKey')} extra={keep} rules={server ? [] : [{ required: true, message: t('auth.required') }]}>
              <Input.TextArea rows={4} style={{ fontFamily: 'monospace' }} placeholder="-----BEGIN OPENSSH PRIVATE KEY-----" autoComplete="off" />
            </Form.Item>
            <Form.Item name="passphrase" label={t('servers.passphrase')}>
              <Input.Password autoComplete="new-password" />
            </Form.Item>
          </>
        )}
        <Form.Item name="labels" label={t('form.labels')}>
          <Select mode="tags" tokenSeparators={[',']} open={false} suffixIcon={null} />
        </Form.Item>
        <Form.Item name="description" label={t('schedules.description')}>
          <Input maxLength={1000} />
        </Form.Item>
        <Form.Item name="operator_ids" label={t('servers.operators')} extra={t('servers.operatorsHelp')}>
          <Select
            mode="multiple"
            loading={users.isPending}
            options={(users.data ?? []).filter((u) => u.role === 'operator').map((u) => ({ value: u.user_id, label: u.username }))}
          />
        </Form.Item>
      </Form>
    </Modal>
  )
}

interface ShellValues {
  name: string
  command: string
  when: 'once' | 'cron'
  cron_expr: string
  priority: 'high' | 'normal' | 'low'
}

/** spec 001's JSON create: a shell command run on a registered server, now (@once) or on a cron. */
export function ShellTaskModal({ server, onClose }: { server: Server; onClose(): void }) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const navigate = useNavigate()
  const queryClient = useQueryClient()
  const [form] = Form.useForm<ShellValues>()
  const when = Form.useWatch('when', form) ?? 'once'
  const [error, setError] = useState<string | null>(null)
  const create = useMutation({
    mutationFn: async (v: ShellValues) =>
      await api.post('/api/tasks', {
        name: v.name.trim(),
        command: v.command,
        server_id: server.id,
        cron_expr: v.when === 'once' ? '@once' : v.cron_expr.trim(),
        priority: v.priority,
      }),
    onSuccess: (body) => {
      void message.success(body.message)
      void queryClient.invalidateQueries({ queryKey: ['tasks'] })
      onClose()
      navigate(`/tasks/${body.task.id}`)
    },
    onError: (e) => setError(errorText(e)),
  })
  return (
    <Modal
      open
      title={t('servers.shellTitle', { name: server.name })}
      okText={t('common.create')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={create.isPending}
      destroyOnHidden
      width={600}
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="shell-error" />}
      <Form<ShellValues>
        form={form}
        layout="vertical"
        data-testid="shell-form"
        initialValues={{ when: 'once', cron_expr: '0 * * * *', priority: 'normal' }}
        onFinish={(v) => {
          setError(null)
          create.mutate(v)
        }}
      >
        <Form.Item name="name" label={t('create.name')} rules={[{ required: true, message: t('auth.required') }]}>
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item name="command" label={t('servers.shellCommand')} rules={[{ required: true, message: t('auth.required') }]}>
          <Input style={{ fontFamily: 'monospace' }} placeholder="df -h" />
        </Form.Item>
        <WhenFields once={{ value: 'once', label: t('create.now') }} delay={false} cronName="cron_expr" />
        <Form.Item name="priority" label={t('create.priority')}>
          <Select style={{ width: 200 }} options={(['high', 'normal', 'low'] as const).map((p) => ({ value: p, label: t(`priority.${p}`) }))} />
        </Form.Item>
      </Form>
    </Modal>
  )
}

/** Registered SSH servers: every user reads them; admins register, change, test and delete them. */
export function ServersPage() {
  const { t } = useTranslation()
  const { message, modal } = App.useApp()
  const me = useMe()
  const queryClient = useQueryClient()
  const [editing, setEditing] = useState<Server | 'new' | null>(null)
  const [shell, setShell] = useState<Server | null>(null)
  const [tested, setTested] = useState<{ server: string; result: TestResult } | null>(null)
  const notAdmin = adminWhy(me.data?.role, t)
  const readOnly = roleWhy(me.data?.role, t)
  const servers = useQuery({ queryKey: ['servers'], queryFn: () => api.get('/api/servers') })
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['servers'] })
  const test = useMutation({
    mutationFn: (s: Server) => api.post('/api/servers/{id}/test', undefined, { params: { id: s.id } }),
    onSuccess: (result, s) => {
      setTested({ server: s.name, result })
      refresh()
    },
    onError: (e) => {
      void message.error(errorText(e))
      refresh()
    },
  })
  const accept = useMutation({
    mutationFn: (s: Server) => api.post('/api/servers/{id}/host-key', { fingerprint: s.offered_host_key_fingerprint ?? '' }, { params: { id: s.id } }),
    onSuccess: (body) => {
      void message.success(body.message ?? t('servers.keyAccepted'))
      refresh()
    },
    onError: (e) => void message.error(errorText(e)),
  })
  const remove = useMutation({
    mutationFn: (v: { server: Server; force: boolean }) =>
      api.delete('/api/servers/{id}', { params: { id: v.server.id }, query: v.force ? { force: true } : {} }),
    onSuccess: (body) => {
      void message.success(body.message)
      refresh()
    },
    onError: (e, v) => {
      if (e instanceof ApiError && e.status === 409 && !v.force) {
        modal.confirm({
          title: t('servers.forceTitle', { name: v.server.name }),
          content: e.detail,
          okText: t('servers.forceDelete'),
          cancelText: t('common.cancel'),
          okButtonProps: { danger: true },
          onOk: () => remove.mutateAsync({ server: v.server, force: true }).catch(() => undefined),
        })
        return
      }
      void message.error(errorText(e))
    },
  })
  return (
    <Card
      title={t('servers.title')}
      extra={
        <ActionButton
          testId="server-create"
          size="middle"
          icon={<PlusOutlined />}
          label={t('servers.newServer')}
          what={t('servers.newServerWhat')}
          why={notAdmin}
          onClick={() => setEditing('new')}
        />
      }
    >
      {servers.error && <Alert type="error" showIcon title={errorText(servers.error)} />}
      {tested && (
        <Alert
          type="success"
          showIcon
          closable
          onClose={() => setTested(null)}
          style={{ marginBottom: 16 }}
          data-testid="test-result"
          title={t('servers.testOk', { name: tested.server })}
          description={
            <Descriptions size="small" column={1}>
              <Descriptions.Item label={t('servers.latency')}>{t('servers.ms', { n: Math.round(tested.result.latency_ms) })}</Descriptions.Item>
              <Descriptions.Item label={t('servers.fingerprint')}>
                <Typography.Text code copyable>
                  {tested.result.host_key_fingerprint}
                </Typography.Text>
              </Descriptions.Item>
              <Descriptions.Item label={t('servers.pinned')}>
                {tested.result.host_key_pinned ? t('servers.pinnedNow') : t('servers.pinnedBefore')}
              </Descriptions.Item>
            </Descriptions>
          }
        />
      )}
      <Table<Server>
        rowKey="id"
        size="middle"
        loading={servers.isPending}
        dataSource={servers.data?.servers ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('servers.empty') }}
        data-testid="servers-table"
        columns={[
          { title: 'ID', dataIndex: 'id', width: 60 },
          { title: t('servers.name'), dataIndex: 'name', render: (n: string) => <span data-testid="server-name">{n}</span> },
          { title: t('servers.address'), key: 'address', render: (_, s) => <Typography.Text code>{`${s.username}@${s.host}:${s.port}`}</Typography.Text> },
          {
            title: t('servers.auth'),
            dataIndex: 'auth_method',
            render: (a: Server['auth_method']) => (a === 'key' ? t('servers.authKey') : t('servers.authPassword')),
          },
          { title: t('form.labels'), dataIndex: 'labels', responsive: ['lg'], render: (ls: string[]) => ls.map((l) => <Tag key={l}>{l}</Tag>) },
          {
            title: t('servers.hostKey'),
            key: 'hostkey',
            render: (_, s) => (
              <Space orientation="vertical" size={0}>
                {s.host_key_fingerprint ? (
                  <Typography.Text
                    code
                    ellipsis={{ tooltip: s.host_key_fingerprint }}
                    style={{ maxWidth: 220, display: 'inline-block', verticalAlign: 'bottom' }}
                  >
                    {s.host_key_fingerprint}
                  </Typography.Text>
                ) : (
                  <Typography.Text type="secondary">{t('servers.notPinned')}</Typography.Text>
                )}
                {s.offered_host_key_fingerprint && (
                  <Typography.Text type="danger" data-testid="offered-key">
                    {t('servers.offered', { fingerprint: s.offered_host_key_fingerprint })}
                  </Typography.Text>
                )}
              </Space>
            ),
          },
          {
            title: t('actions.label'),
            key: 'actions',
            render: (_, s) => (
              <Space wrap size={4}>
                <ActionButton
                  testId="server-test"
                  iconOnly
                  icon={<ApiOutlined />}
                  label={t('servers.test')}
                  what={t('servers.testWhat')}
                  why={notAdmin}
                  loading={test.isPending && test.variables?.id === s.id}
                  onClick={() => test.mutate(s)}
                />
                <ActionButton
                  testId="server-accept-key"
                  iconOnly
                  icon={<SafetyCertificateOutlined />}
                  label={t('servers.acceptKey')}
                  what={t('servers.acceptKeyWhat')}
                  why={notAdmin ?? (s.offered_host_key_fingerprint ? null : t('servers.whyNoOffer'))}
                  onClick={() =>
                    modal.confirm({
                      title: t('servers.acceptTitle', { name: s.name }),
                      content: <Typography.Text code>{s.offered_host_key_fingerprint}</Typography.Text>,
                      okText: t('servers.acceptKey'),
                      cancelText: t('common.cancel'),
                      onOk: () => accept.mutateAsync(s).catch(() => undefined),
                    })
                  }
                />
                <ActionButton
                  testId="server-shell"
                  iconOnly
                  icon={<CodeOutlined />}
                  label={t('servers.shellTask')}
                  what={t('servers.shellTaskWhat')}
                  why={readOnly ?? (me.data?.role === 'operator' && !s.operator_ids.includes(me.data.user_id) ? t('servers.whyNotOperator') : null)}
                  onClick={() => setShell(s)}
                />
                <ActionButton
                  testId="server-edit"
                  iconOnly
                  icon={<EditOutlined />}
                  label={t('actions.edit')}
                  what={t('servers.editWhat')}
                  why={notAdmin}
                  onClick={() => setEditing(s)}
                />
                <ActionButton
                  testId="server-delete"
                  iconOnly
                  icon={<DeleteOutlined />}
                  danger
                  label={t('actions.delete')}
                  what={t('servers.deleteWhat')}
                  why={notAdmin}
                  loading={remove.isPending && remove.variables?.server.id === s.id}
                  onClick={() =>
                    modal.confirm({
                      title: t('servers.confirmDelete', { name: s.name }),
                      okText: t('common.yes'),
                      cancelText: t('common.no'),
                      okButtonProps: { danger: true },
                      onOk: () => remove.mutateAsync({ server: s, force: false }).catch(() => undefined),
                    })
                  }
                />
              </Space>
            ),
          },
        ]}
      />
      {editing && <ServerModal server={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      {shell && <ShellTaskModal server={shell} onClose={() => setShell(null)} />}
      <Typography.Paragraph type="secondary" style={{ marginTop: 16 }}>
        <KeyOutlined /> {t('servers.secretsNote')}
      </Typography.Paragraph>
    </Card>
  )
}
