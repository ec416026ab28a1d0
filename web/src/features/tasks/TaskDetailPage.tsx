import { ArrowLeftOutlined, CodeOutlined } from '@ant-design/icons'
import { Alert, Button, Card, Col, Descriptions, Grid, Result, Row, Space, Table, Typography } from 'antd'
import type { ColumnsType } from 'antd/es/table'
import { useMemo, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Link, useNavigate, useParams, useSearchParams } from 'react-router'
import { api, ApiError } from '../../api/client'
import { useMe } from '../../api/session'
import type { Execution, TaskDetail } from '../../api/models'
import { Chart } from '../../components/Chart'
import { LogViewer } from '../../components/LogViewer'
import { StatusTag } from '../../components/StatusTag'
import { EditTaskModal } from './EditTaskModal'
import { RetryRunButton } from './RetryRunButton'
import { RunPanel } from './RunPanel'
import { useTask } from './queries'
import { TaskActions } from './TaskActions'

function PerformanceCharts({ metrics }: { metrics: TaskDetail['performance_metrics'] }) {
  const { t } = useTranslation()
  const empty = metrics.timestamps.length === 0
  const durationOption = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 48, right: 16, top: 24, bottom: 40 },
      xAxis: { type: 'category', data: metrics.timestamps },
      yAxis: { type: 'value', name: 's' },
      series: [{ name: t('detail.duration'), type: 'bar', data: metrics.durations, itemStyle: { color: '#1677ff' } }],
    }),
    [metrics, t],
  )
  const memoryOption = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 32, bottom: 40 },
      xAxis: { type: 'category', data: metrics.timestamps },
      yAxis: { type: 'value', name: 'MB' },
      series: [
        { name: t('detail.peakMemory'), type: 'line', data: metrics.peak_memories, connectNulls: false },
        { name: t('detail.avgMemory'), type: 'line', data: metrics.avg_memories, connectNulls: false },
      ],
    }),
    [metrics, t],
  )
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={12}>
        <Typography.Text strong>{t('detail.durationChart')}</Typography.Text>
        <Chart option={durationOption} empty={empty} placeholder={t('detail.noMetrics')} height={240} />
      </Col>
      <Col xs={24} lg={12}>
        <Typography.Text strong>{t('detail.memoryChart')}</Typography.Text>
        <Chart option={memoryOption} empty={empty || metrics.peak_memories.every((m) => m == null)} placeholder={t('detail.noMetrics')} height={240} />
      </Col>
    </Row>
  )
}

export function TaskDetailPage() {
  const { t } = useTranslation()
  const navigate = useNavigate()
  const taskId = Number(useParams().taskId)
  const me = useMe()
  const detail = useTask(taskId)
  const narrow = !Grid.useBreakpoint().md
  const [params, setParams] = useSearchParams()
  const [editing, setEditing] = useState(params.get('edit') === '1')
  // The run shown in the log card: one picked in the history, else the latest.
  const [picked, setPicked] = useState<string | null>(null)
  const closeEdit = () => {
    setEditing(false)
    if (params.has('edit')) setParams({}, { replace: true })
  }
  if (detail.error) {
    const notFound = detail.error instanceof ApiError && detail.error.status === 404
    return (
      <Result
        status={notFound ? '404' : 'error'}
        title={notFound ? t('detail.notFound') : t('common.error')}
        subTitle={detail.error instanceof ApiError ? detail.error.detail : String(detail.error)}
        extra={<Link to="/tasks">{t('common.back')}</Link>}
      />
    )
  }
  if (!detail.data) return <Card loading />
  const { task, execution_history: history, performance_metrics: metrics, latest_execution: latest } = detail.data
  const shownRun = picked ?? latest?.execution_id ?? null
  const columns: ColumnsType<Execution> = [
    { title: t('detail.runId'), dataIndex: 'execution_id', width: 80 },
    { title: t('tasks.status'), dataIndex: 'status', width: 110, render: (s: string) => <StatusTag status={s} /> },
    { title: t('detail.start'), dataIndex: 'start_time', render: (v: string | null) => v ?? '—' },
    { title: t('detail.end'), dataIndex: 'end_time', responsive: ['md'], render: (v: string | null) => v ?? '—' },
    { title: t('detail.duration'), dataIndex: 'duration', render: (v: number | null) => v ?? '—' },
    { title: t('detail.peakMemory'), dataIndex: 'peak_memory', responsive: ['md'], render: (v: number | null) => v ?? '—' },
    { title: t('detail.avgMemory'), dataIndex: 'avg_memory', responsive: ['lg'], render: (v: number | null) => v ?? '—' },
    { title: t('detail.exitCode'), dataIndex: 'exit_code', render: (v: number | null, r) => v ?? r.signal ?? '—' },
    { title: t('detail.errorCol'), dataIndex: 'error', responsive: ['lg'], render: (v: string | null) => v ?? '' },
    {
      title: t('run.show'),
      key: 'show',
      render: (_, r) => (
        <Button size="small" type={r.execution_id === shownRun ? 'primary' : 'default'} data-testid="show-run" onClick={() => setPicked(r.execution_id)}>
          {t('run.show')}
        </Button>
      ),
    },
    {
      title: t('actions.retry'),
      key: 'retry',
      render: (_, r) => <RetryRunButton run={r} taskId={task.task_id} role={me.data?.role} testId="history-retry" />,
    },
  ]
  const actions = (
    <Space wrap size={4}>
      <Button size="small" icon={<CodeOutlined />} data-testid="open-files" onClick={() => navigate(`/tasks/${task.task_id}/files`)}>
        {t('files.open')}
      </Button>
      <TaskActions
        task={task}
        role={me.data?.role ?? 'viewer'}
        latestRunStatus={history[0]?.status ?? null}
        onDeleted={() => navigate('/tasks')}
        onEdit={() => setEditing(true)}
      />
    </Space>
  )
  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <Card
        title={
          <Space wrap>
            <Link to="/tasks" aria-label={t('common.back')}>
              <ArrowLeftOutlined />
            </Link>
            <span data-testid="task-title">{task.task_name}</span>
            <StatusTag status={task.status} />
            {task.queue_position != null && (
              <Typography.Text type="secondary" data-testid="task-queue-position">
                {t('tasks.queuePosition', { position: task.queue_position })}
              </Typography.Text>
            )}
          </Space>
        }
        // On a phone the card's header has no room for both: the actions move into the body.
        extra={narrow ? undefined : actions}
      >
        {narrow ? <div style={{ marginBottom: 16 }}>{actions}</div> : null}
        <Descriptions size="small" column={{ xs: 1, md: 2, xl: 3 }} title={t('detail.config')}>
          <Descriptions.Item label={t('tasks.id')}>{task.task_id}</Descriptions.Item>
          <Descriptions.Item label={t('tasks.env')}>{task.conda_env}</Descriptions.Item>
          <Descriptions.Item label={t('tasks.priority')}>
            {t(`priority.${task.priority}`)} ({task.priority_value})
          </Descriptions.Item>
          <Descriptions.Item label={t('detail.command')}>
            <Typography.Text code>{task.command}</Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('detail.scriptPath')}>
            <Typography.Text code copyable>
              {task.script_path}
            </Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('detail.cron')}>{task.cron_expression ?? t('tasks.once')}</Descriptions.Item>
          {task.delay_seconds != null && <Descriptions.Item label={t('detail.delay')}>{task.delay_seconds}</Descriptions.Item>}
          <Descriptions.Item label={t('tasks.nextRun')}>{task.next_run_time ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('tasks.lastRun')}>{task.last_run_time ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('tasks.createdAt')}>{task.created_at ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('detail.updatedAt')}>{task.updated_at ?? '—'}</Descriptions.Item>
          {task.task_type && <Descriptions.Item label={t('form.taskType')}>{task.task_type}</Descriptions.Item>}
          {task.labels && <Descriptions.Item label={t('form.labels')}>{task.labels.join(', ')}</Descriptions.Item>}
          {task.time_zone && <Descriptions.Item label={t('form.timeZone')}>{task.time_zone}</Descriptions.Item>}
          {task.misfire && <Descriptions.Item label={t('form.misfire')}>{t(`form.misfires.${task.misfire}` as 'form.misfires.skip')}</Descriptions.Item>}
          {task.timeout_seconds != null && <Descriptions.Item label={t('form.timeout')}>{task.timeout_seconds}</Descriptions.Item>}
          {task.max_retries != null && (
            <Descriptions.Item label={t('form.maxRetries')}>
              <span data-testid="task-retries">
                {t('detail.retryPolicy', { count: task.max_retries, backoff: task.retry_backoff_seconds ?? 10, max: task.retry_max_backoff_seconds ?? 3600 })}
              </span>
            </Descriptions.Item>
          )}
          {task.node_version && <Descriptions.Item label={t('form.nodeVersion')}>{task.node_version}</Descriptions.Item>}
          <Descriptions.Item label={t('form.interactive')}>{task.interactive ? t('common.yes') : t('common.no')}</Descriptions.Item>
          {task.requirements && (
            <Descriptions.Item label={t('detail.requirements')}>
              <pre style={{ margin: 0 }}>{task.requirements}</pre>
            </Descriptions.Item>
          )}
        </Descriptions>
      </Card>
      <Card title={shownRun && shownRun !== latest?.execution_id ? t('run.logOf', { id: shownRun }) : t('detail.log')} size="small">
        {shownRun ? (
          <Space orientation="vertical" size={16} style={{ width: '100%' }}>
            <LogViewer
              key={shownRun}
              url={api.url('/api/tasks/{task_id}/executions/{execution_id}/logs', {
                params: { task_id: task.task_id, execution_id: shownRun },
                query: { stream: 'true' },
              })}
              fileName={`task-${task.task_id}-run-${shownRun}.log`}
            />
            <RunPanel key={`run-${shownRun}`} executionId={shownRun} interactive={task.interactive === true} role={me.data?.role} />
          </Space>
        ) : (
          <Alert type="info" title={t('detail.noRuns')} />
        )}
      </Card>
      <Card title={t('detail.performance')} size="small">
        <PerformanceCharts metrics={metrics} />
      </Card>
      <Card title={t('detail.history')} size="small">
        <Table<Execution>
          rowKey="execution_id"
          size="small"
          columns={columns}
          dataSource={history}
          pagination={{ pageSize: 10 }}
          scroll={{ x: 'max-content' }}
          data-testid="history"
        />
      </Card>
      {editing && <EditTaskModal task={task} open={editing} onClose={closeEdit} />}
    </Space>
  )
}
