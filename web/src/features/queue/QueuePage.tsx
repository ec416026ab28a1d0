import { DeleteOutlined, ReloadOutlined, StopOutlined } from '@ant-design/icons'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Alert, App, Button, Card, Checkbox, Input, Select, Space, Statistic, Table, Tag, Tooltip } from 'antd'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Link } from 'react-router'
import { api, ApiError, type ResponseOf } from '../../api/client'
import { useMe } from '../../api/session'
import { ActionButton } from '../../components/ActionButton'
import { roleWhy } from '../../lib/roles'

type Queue = ResponseOf<'/api/queue', 'get'>
type QueuedRun = Queue['queue'][number]
type CancelResult = ResponseOf<'/api/tasks/cancel-all', 'post'>

const PRIORITY_COLORS = { high: 'red', normal: 'blue', low: 'default' } as const

/** The queued runs in the order they will start (GET /api/queue), with spec 002's controls. */
export function QueuePage() {
  const { t } = useTranslation()
  const { message, modal } = App.useApp()
  const me = useMe()
  const queryClient = useQueryClient()
  const [cancelRunning, setCancelRunning] = useState(false)
  const [taskType, setTaskType] = useState('')
  const [result, setResult] = useState<{ what: string; body: CancelResult } | null>(null)
  const queue = useQuery({
    queryKey: ['queue'],
    queryFn: () => api.get('/api/queue', { query: { page_size: 1000 } }),
    refetchInterval: 2000,
  })
  const readOnly = roleWhy(me.data?.role, t)
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['queue'] })
    void queryClient.invalidateQueries({ queryKey: ['tasks'] })
  }
  const fail = (e: unknown) => void message.error(e instanceof ApiError ? e.detail : String(e))
  const priority = useMutation({
    mutationFn: (v: { taskId: number; priority: number }) =>
      api.post('/api/tasks/{task_id}/priority', { priority: v.priority }, { params: { task_id: v.taskId } }),
    onSuccess: (body) => {
      void message.success(body.message)
      refresh()
    },
    onError: fail,
  })
  const cancelOne = useMutation({
    mutationFn: (executionId: number) => api.post('/api/executions/{execution_id}/cancel', undefined, { params: { execution_id: executionId } }),
    onSuccess: (body) => {
      void message.success(body.message)
      refresh()
    },
    onError: fail,
  })
  const cancelMany = useMutation({
    mutationFn: async (v: { type: string | null }) =>
      v.type === null
        ? api.post('/api/tasks/cancel-all', { cancel_running: cancelRunning })
        : api.post('/api/tasks/cancel-by-type', { task_type: v.type, cancel_running: cancelRunning }),
    onSuccess: (body, v) => {
      setResult({ what: v.type === null ? t('queue.cancelAll') : t('queue.cancelType', { type: v.type }), body })
      refresh()
    },
    onError: fail,
  })
  const rows = queue.data?.queue ?? []
  const nothing = rows.length === 0 && !cancelRunning ? t('queue.whyEmpty') : null
  const confirmMany = (type: string | null) =>
    modal.confirm({
      title: type === null ? t('queue.confirmAll') : t('queue.confirmType', { type }),
      content: cancelRunning ? t('queue.alsoRunningWarning') : undefined,
      okText: t('common.yes'),
      cancelText: t('common.no'),
      okButtonProps: { danger: true },
      onOk: () => cancelMany.mutateAsync({ type }).catch(() => undefined),
    })
  return (
    <Card
      title={t('queue.title')}
      extra={
        <Button icon={<ReloadOutlined />} onClick={refresh} aria-label={t('common.refresh')}>
          {t('common.refresh')}
        </Button>
      }
    >
      <Space size={32} wrap style={{ marginBottom: 16 }}>
        <Statistic title={t('queue.queued')} value={queue.data?.total ?? '—'} data-testid="queue-total" />
        <Statistic
          title={t('queue.running')}
          value={queue.data ? `${queue.data.running} / ${queue.data.max_workers ?? t('queue.unlimited')}` : '—'}
          data-testid="queue-running"
        />
      </Space>
      <Space wrap style={{ marginBottom: 16 }} align="center">
        <Checkbox checked={cancelRunning} onChange={(e) => setCancelRunning(e.target.checked)} data-testid="cancel-running">
          {t('queue.alsoRunning')}
        </Checkbox>
        <ActionButton
          testId="cancel-all"
          size="middle"
          danger
          icon={<StopOutlined />}
          label={t('queue.cancelAll')}
          what={t('queue.cancelAllWhat')}
          why={readOnly ?? nothing}
          loading={cancelMany.isPending && cancelMany.variables?.type === null}
          onClick={() => confirmMany(null)}
        />
        <Input
          placeholder={t('queue.typePlaceholder')}
          aria-label={t('queue.taskType')}
          value={taskType}
          onChange={(e) => setTaskType(e.target.value)}
          style={{ width: 200 }}
          maxLength={100}
          data-testid="cancel-type-input"
        />
        <ActionButton
          testId="cancel-by-type"
          size="middle"
          danger
          icon={<StopOutlined />}
          label={t('queue.cancelByType')}
          what={t('queue.cancelByTypeWhat')}
          why={readOnly ?? (taskType.trim() === '' ? t('queue.whyNoType') : null)}
          loading={cancelMany.isPending && cancelMany.variables?.type !== null}
          onClick={() => confirmMany(taskType.trim())}
        />
      </Space>
      {result && (
        <Alert
          type={result.body.result.failed > 0 ? 'warning' : 'success'}
          showIcon
          closable
          onClose={() => setResult(null)}
          style={{ marginBottom: 16 }}
          data-testid="cancel-result"
          title={`${result.what}: ${result.body.message}`}
          description={t('queue.result', result.body.result)}
        />
      )}
      {queue.error && <Alert type="error" showIcon title={queue.error instanceof ApiError ? queue.error.detail : String(queue.error)} />}
      <Table<QueuedRun>
        rowKey="execution_id"
        size="middle"
        loading={queue.isPending}
        dataSource={rows}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('queue.empty') }}
        data-testid="queue-table"
        columns={[
          { title: t('queue.position'), dataIndex: 'position', width: 80 },
          { title: t('detail.runId'), dataIndex: 'execution_id', width: 80 },
          {
            title: t('tasks.name'),
            dataIndex: 'task_name',
            render: (name: string, r) => (
              <Link to={`/tasks/${r.task_id}`} data-testid="queue-task">
                {name}
              </Link>
            ),
          },
          {
            title: t('tasks.priority'),
            dataIndex: 'priority',
            render: (p: number, r) => (
              <Space size={4}>
                <Tooltip title={readOnly ?? t('queue.priorityWhat')}>
                  <span style={{ display: 'inline-block' }} tabIndex={readOnly ? 0 : undefined}>
                    <Select<number>
                      size="small"
                      value={p}
                      disabled={readOnly !== null || (priority.isPending && priority.variables?.taskId === r.task_id)}
                      aria-label={t('queue.priorityOf', { name: r.task_name })}
                      data-testid="queue-priority"
                      style={{ width: 72 }}
                      onChange={(v) => priority.mutate({ taskId: r.task_id, priority: v })}
                      options={Array.from({ length: 12 }, (_, i) => ({ value: i, label: String(i) }))}
                    />
                  </span>
                </Tooltip>
                <Tag color={PRIORITY_COLORS[r.priority_word]}>{t(`priority.${r.priority_word}`)}</Tag>
              </Space>
            ),
          },
          { title: t('queue.trigger'), dataIndex: 'trigger', render: (v: string) => t(`queue.triggers.${v}` as 'queue.triggers.manual') },
          { title: t('queue.queuedAt'), dataIndex: 'queued_at' },
          {
            title: t('actions.label'),
            key: 'actions',
            render: (_, r) => (
              <ActionButton
                testId="queue-cancel"
                danger
                icon={<DeleteOutlined />}
                label={t('queue.cancel')}
                what={t('queue.cancelWhat')}
                why={readOnly}
                loading={cancelOne.isPending && cancelOne.variables === r.execution_id}
                onClick={() => cancelOne.mutate(r.execution_id)}
              />
            ),
          },
        ]}
      />
    </Card>
  )
}
