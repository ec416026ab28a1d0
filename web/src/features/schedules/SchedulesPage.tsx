import { EditOutlined } from '@ant-design/icons'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Alert, App, Card, Form, Input, Modal, Select, Space, Switch, Table, Tag, Tooltip, Typography } from 'antd'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Link } from 'react-router'
import { api, ApiError, type BodyOf, type ResponseOf } from '../../api/client'
import { useMe } from '../../api/session'
import { ActionButton } from '../../components/ActionButton'
import { previewCron } from '../../lib/cron'
import { formatLocal } from '../../lib/format'
import { roleWhy } from '../../lib/roles'
import { CronPreview } from '../../components/CronPreview'

type Schedule = ResponseOf<'/api/schedules', 'get'>['schedules'][number]
type Slot = ResponseOf<'/api/schedules/{task_id}/history', 'get'>['slots'][number]

/** The times a schedule decided about: fired with its run, or skipped with the reason. */
export function ScheduleHistory({ taskId }: { taskId: number }) {
  const { t } = useTranslation()
  const history = useQuery({
    queryKey: ['schedule-history', taskId],
    queryFn: () => api.get('/api/schedules/{task_id}/history', { params: { task_id: taskId }, query: { limit: 100 } }),
  })
  if (history.error) return <Alert type="error" showIcon title={history.error instanceof ApiError ? history.error.detail : String(history.error)} />
  return (
    <Table<Slot>
      rowKey={(s) => `${s.scheduled_at}-${s.recorded_at}`}
      size="small"
      loading={history.isPending}
      dataSource={history.data?.slots ?? []}
      pagination={{ pageSize: 10, hideOnSinglePage: true }}
      locale={{ emptyText: t('schedules.noHistory') }}
      data-testid="schedule-history"
      columns={[
        { title: t('schedules.scheduledAt'), dataIndex: 'scheduled_at' },
        {
          title: t('schedules.outcome'),
          dataIndex: 'outcome',
          render: (o: Slot['outcome']) => <Tag color={o === 'fired' ? 'success' : 'warning'}>{t(`schedules.outcomes.${o}`)}</Tag>,
        },
        {
          title: t('schedules.reason'),
          dataIndex: 'reason',
          render: (r: Slot['reason']) => (r ? t(`schedules.reasons.${r}` as 'schedules.reasons.coalesced') : t('schedules.reasons.onTime')),
        },
        {
          title: t('detail.runId'),
          dataIndex: 'execution_id',
          render: (id: string | null) => (id ? <Link to={`/tasks/${taskId}`}>{id}</Link> : '—'),
        },
        { title: t('schedules.recordedAt'), dataIndex: 'recorded_at', responsive: ['md'] },
      ]}
    />
  )
}

interface EditValues {
  cron_expression: string
  description: string
  time_zone: string
  misfire: 'run_once' | 'skip'
}

function EditScheduleModal({ schedule, onClose }: { schedule: Schedule; onClose(): void }) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const queryClient = useQueryClient()
  const [form] = Form.useForm<EditValues>()
  const cron = Form.useWatch('cron_expression', form) ?? schedule.cron_expression
  const [error, setError] = useState<string | null>(null)
  const save = useMutation({
    mutationFn: (v: EditValues) => {
      const body: BodyOf<'/api/schedules/{task_id}', 'put'> & { description?: string } = {
        cron_expression: v.cron_expression.trim(),
        description: v.description ?? '',
        time_zone: v.time_zone?.trim() ? v.time_zone.trim() : null,
        misfire: v.misfire,
      }
      return api.put('/api/schedules/{task_id}', body, { params: { task_id: schedule.task_id } })
    },
    onSuccess: (body) => {
      void message.success(body.message ?? t('schedules.saved'))
      void queryClient.invalidateQueries({ queryKey: ['schedules'] })
      void queryClient.invalidateQueries({ queryKey: ['task', schedule.task_id] })
      onClose()
    },
    onError: (e) => setError(e instanceof ApiError ? e.detail : String(e)),
  })
  return (
    <Modal
      open
      title={t('schedules.editTitle', { name: schedule.task_name })}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={save.isPending}
      destroyOnHidden
      width={600}
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="schedule-error" />}
      <Form<EditValues>
        form={form}
        layout="vertical"
        initialValues={{
          cron_expression: schedule.cron_expression,
          description: schedule.description,
          time_zone: schedule.time_zone ?? '',
          misfire: schedule.misfire,
        }}
        onFinish={(v) => {
          setError(null)
          save.mutate(v)
        }}
      >
        <Form.Item name="cron_expression" label={t('create.cronExpression')} rules={[{ required: true, message: t('auth.required') }]}>
          <Input style={{ fontFamily: 'monospace' }} />
        </Form.Item>
        <div style={{ marginBottom: 16 }}>
          <CronPreview expression={cron} />
        </div>
        <Form.Item name="description" label={t('schedules.description')}>
          <Input maxLength={1000} />
        </Form.Item>
        <Form.Item name="time_zone" label={t('form.timeZone')} extra={t('form.timeZoneHelp')}>
          <Input placeholder="Europe/Berlin" />
        </Form.Item>
        <Form.Item name="misfire" label={t('form.misfire')}>
          <Select
            options={[
              { value: 'run_once', label: t('form.misfires.run_once') },
              { value: 'skip', label: t('form.misfires.skip') },
            ]}
          />
        </Form.Item>
      </Form>
    </Modal>
  )
}

function CronCell({ schedule }: { schedule: Schedule }) {
  const { i18n, t } = useTranslation()
  const p = previewCron(schedule.cron_expression, i18n.language, 3, new Date(), schedule.time_zone ?? undefined)
  return (
    <Space orientation="vertical" size={0}>
      <Typography.Text code>{schedule.cron_expression}</Typography.Text>
      <Typography.Text data-testid="schedule-reading">{p.ok ? p.reading : t('create.cronInvalid', { error: p.error ?? '' })}</Typography.Text>
      {p.ok && schedule.is_enabled && (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('schedules.nextTimes', { times: p.next.map(formatLocal).join(', ') })}
        </Typography.Text>
      )}
    </Space>
  )
}

/** Every cron schedule the user may read (GET /api/schedules), switchable, editable, with its history. */
export function SchedulesPage() {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const me = useMe()
  const queryClient = useQueryClient()
  const [editing, setEditing] = useState<Schedule | null>(null)
  const readOnly = roleWhy(me.data?.role, t)
  const schedules = useQuery({ queryKey: ['schedules'], queryFn: () => api.get('/api/schedules'), refetchInterval: 10_000 })
  const toggle = useMutation({
    mutationFn: (v: { taskId: number; enabled: boolean }) => api.put('/api/schedules/{task_id}', { is_enabled: v.enabled }, { params: { task_id: v.taskId } }),
    onSuccess: (body) => {
      void message.success(body.message ?? t('schedules.saved'))
      void queryClient.invalidateQueries({ queryKey: ['schedules'] })
    },
    onError: (e) => void message.error(e instanceof ApiError ? e.detail : String(e)),
  })
  return (
    <Card title={t('schedules.title')}>
      {schedules.error && <Alert type="error" showIcon title={schedules.error instanceof ApiError ? schedules.error.detail : String(schedules.error)} />}
      <Table<Schedule>
        rowKey="task_id"
        size="middle"
        loading={schedules.isPending}
        dataSource={schedules.data?.schedules ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('schedules.empty') }}
        data-testid="schedules-table"
        expandable={{ expandedRowRender: (s) => <ScheduleHistory taskId={s.task_id} />, expandRowByClick: false }}
        columns={[
          {
            title: t('tasks.name'),
            dataIndex: 'task_name',
            render: (name: string, s) => (
              <Link to={`/tasks/${s.task_id}`} data-testid="schedule-task">
                {name}
              </Link>
            ),
          },
          { title: t('detail.cron'), key: 'cron', render: (_, s) => <CronCell schedule={s} /> },
          {
            title: t('schedules.enabled'),
            dataIndex: 'is_enabled',
            render: (on: boolean, s) => (
              <Tooltip title={readOnly ?? t('schedules.enabledWhat')}>
                <span style={{ display: 'inline-block' }} tabIndex={readOnly ? 0 : undefined}>
                  <Switch
                    checked={on}
                    disabled={readOnly !== null}
                    loading={toggle.isPending && toggle.variables?.taskId === s.task_id}
                    aria-label={t('schedules.enabledOf', { name: s.task_name })}
                    data-testid="schedule-enabled"
                    onChange={(enabled) => toggle.mutate({ taskId: s.task_id, enabled })}
                  />
                </span>
              </Tooltip>
            ),
          },
          { title: t('schedules.description'), dataIndex: 'description', render: (d: string) => d || '—' },
          { title: t('form.timeZone'), dataIndex: 'time_zone', render: (z: string | null) => z ?? t('schedules.serverZone') },
          { title: t('form.misfire'), dataIndex: 'misfire', responsive: ['lg'], render: (m: Schedule['misfire']) => t(`form.misfires.${m}`) },
          { title: t('schedules.next'), dataIndex: 'next_execution_at', render: (v: string | null) => v ?? '—' },
          { title: t('schedules.last'), dataIndex: 'last_execution_at', responsive: ['md'], render: (v: string | null) => v ?? '—' },
          { title: t('schedules.count'), dataIndex: 'execution_count', responsive: ['md'] },
          {
            title: t('actions.label'),
            key: 'actions',
            render: (_, s) => (
              <ActionButton
                testId="schedule-edit"
                icon={<EditOutlined />}
                label={t('actions.edit')}
                what={t('schedules.editWhat')}
                why={readOnly}
                onClick={() => setEditing(s)}
              />
            ),
          },
        ]}
      />
      {editing && <EditScheduleModal schedule={editing} onClose={() => setEditing(null)} />}
    </Card>
  )
}
