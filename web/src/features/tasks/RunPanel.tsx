import { DownloadOutlined, SendOutlined } from '@ant-design/icons'
import { useMutation, useQuery } from '@tanstack/react-query'
import { Alert, App, Checkbox, Descriptions, Input, Space, Table, Typography } from 'antd'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, ApiError, type ResponseOf } from '../../api/client'
import type { User } from '../../api/models'
import { ActionButton } from '../../components/ActionButton'
import { StatusTag } from '../../components/StatusTag'
import { formatBytes } from '../../lib/format'
import { roleWhy } from '../../lib/roles'
import { RetryRunButton } from './RetryRunButton'

type Run = ResponseOf<'/api/executions/{execution_id}', 'get'>['execution']
type Artifact = ResponseOf<'/api/executions/{execution_id}/artifacts', 'get'>['artifacts'][number]

const LIVE = new Set(['queued', 'running', 'paused'])

export function useRun(executionId: string) {
  return useQuery({
    queryKey: ['run', executionId],
    queryFn: async () => (await api.get('/api/executions/{execution_id}', { params: { execution_id: executionId } })).execution,
    refetchInterval: (q) => (q.state.data && !LIVE.has(q.state.data.status) ? false : 2000),
  })
}

/** "reason — by user", or a dash. */
function reasonBy(reason: string | null, by: string | null): string {
  if (!reason && !by) return '—'
  return [reason, by ? `(${by})` : null].filter(Boolean).join(' ')
}

/** Writes text to an interactive run's stdin (POST /api/executions/<id>/input), or ends it. */
export function RunInput({ run, interactive, role }: { run: Run; interactive: boolean; role: User['role'] | undefined }) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const [text, setText] = useState('')
  const [newline, setNewline] = useState(true)
  const [closed, setClosed] = useState(false)
  const send = useMutation({
    mutationFn: (close: boolean) =>
      api.post(
        '/api/executions/{execution_id}/input',
        { text: text === '' ? '' : newline && !text.endsWith('\n') ? `${text}\n` : text, ...(close ? { close: true } : {}) },
        { params: { execution_id: run.execution_id } },
      ),
    onSuccess: (body) => {
      void message.success(`${body.message} (${t('run.bytes', { count: body.bytes })})`)
      setText('')
      if (body.closed) setClosed(true)
    },
    onError: (e) => void message.error(e instanceof ApiError ? e.detail : String(e)),
  })
  const why =
    roleWhy(role, t) ??
    (!interactive
      ? t('run.whyNotInteractive')
      : run.status !== 'running' && run.status !== 'paused'
        ? t('run.whyStatus', { status: t(`status.${run.status}` as 'status.running') })
        : closed
          ? t('run.whyClosed')
          : null)
  return (
    <div data-testid="run-input">
      <Typography.Text strong>{t('run.input')}</Typography.Text>
      <Input.TextArea
        rows={2}
        value={text}
        onChange={(e) => setText(e.target.value)}
        disabled={why !== null}
        placeholder={why ?? t('run.inputPlaceholder')}
        aria-label={t('run.input')}
        data-testid="run-input-text"
        style={{ fontFamily: 'monospace', margin: '4px 0' }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && why === null && text !== '') {
            e.preventDefault()
            send.mutate(false)
          }
        }}
      />
      <Space wrap>
        <Checkbox checked={newline} onChange={(e) => setNewline(e.target.checked)}>
          {t('run.newline')}
        </Checkbox>
        <ActionButton
          testId="run-send"
          icon={<SendOutlined />}
          label={t('run.send')}
          what={t('run.sendWhat')}
          why={why ?? (text === '' ? t('run.whyEmpty') : null)}
          loading={send.isPending && send.variables === false}
          onClick={() => send.mutate(false)}
        />
        <ActionButton
          testId="run-eof"
          label={t('run.eof')}
          what={t('run.eofWhat')}
          why={why}
          loading={send.isPending && send.variables === true}
          onClick={() => send.mutate(true)}
        />
      </Space>
    </div>
  )
}

function Artifacts({ run }: { run: Run }) {
  const { t } = useTranslation()
  const list = useQuery({
    queryKey: ['artifacts', run.execution_id, run.artifact_count],
    queryFn: () => api.get('/api/executions/{execution_id}/artifacts', { params: { execution_id: run.execution_id } }),
    enabled: run.artifact_count > 0,
  })
  if (run.artifact_count === 0) return <Typography.Text type="secondary">{t('run.noArtifacts')}</Typography.Text>
  return (
    <Table<Artifact>
      rowKey="name"
      size="small"
      loading={list.isPending}
      dataSource={list.data?.artifacts ?? []}
      pagination={false}
      data-testid="artifacts"
      columns={[
        { title: t('run.fileName'), dataIndex: 'name', render: (n: string) => <Typography.Text code>{n}</Typography.Text> },
        { title: t('run.size'), dataIndex: 'size', render: (s: number) => formatBytes(s) },
        { title: t('run.modified'), dataIndex: 'modified_at', responsive: ['md'] },
        {
          title: t('log.download'),
          key: 'download',
          render: (_, a) => (
            <a href={a.download_url} download={a.name.split('/').pop()} data-testid="artifact-download" aria-label={`${t('log.download')} ${a.name}`}>
              <DownloadOutlined /> {t('log.download')}
            </a>
          ),
        },
      ]}
    />
  )
}

/** One run in detail (GET /api/executions/<id>): attempt, reasons and who gave them, input, result files. */
export function RunPanel({ executionId, interactive, role }: { executionId: string; interactive: boolean; role: User['role'] | undefined }) {
  const { t } = useTranslation()
  const run = useRun(executionId)
  if (run.error) return <Alert type="error" showIcon title={run.error instanceof ApiError ? run.error.detail : String(run.error)} />
  if (!run.data) return null
  const r = run.data
  return (
    <Space orientation="vertical" size={12} style={{ width: '100%' }} data-testid="run-panel">
      <Descriptions size="small" column={{ xs: 1, md: 2, xl: 3 }}>
        <Descriptions.Item label={t('detail.runId')}>{r.execution_id}</Descriptions.Item>
        <Descriptions.Item label={t('tasks.status')}>
          <StatusTag status={r.status} />
        </Descriptions.Item>
        <Descriptions.Item label={t('queue.trigger')}>{t(`queue.triggers.${r.trigger}` as 'queue.triggers.manual')}</Descriptions.Item>
        <Descriptions.Item label={t('run.attempt')}>
          <span data-testid="run-attempt">
            {r.attempt}
            {r.first_execution_id && r.first_execution_id !== r.execution_id ? ` (${t('run.firstRun', { id: r.first_execution_id })})` : ''}
          </span>
        </Descriptions.Item>
        {r.retry_of_execution_id && (
          <Descriptions.Item label={t('run.retryOf')}>
            <span data-testid="run-retry-of">{t('run.retryOfRun', { id: r.retry_of_execution_id })}</span>
          </Descriptions.Item>
        )}
        {r.not_before && (
          <Descriptions.Item label={t('run.notBefore')}>
            <span data-testid="run-not-before">{r.not_before}</span>
          </Descriptions.Item>
        )}
        {r.requested_action && (
          <Descriptions.Item label={t('run.requestedAction')}>
            <span data-testid="run-requested-action">{t('run.requestedActionOf', { action: t(`actions.${r.requested_action}`) })}</span>
          </Descriptions.Item>
        )}
        <Descriptions.Item label={t('queue.queuedAt')}>{r.queued_at}</Descriptions.Item>
        {r.queue_position != null && (
          <Descriptions.Item label={t('queue.position')}>
            <span data-testid="run-queue-position">{r.queue_position}</span>
          </Descriptions.Item>
        )}
        <Descriptions.Item label={t('run.pauseReason')}>
          <span data-testid="run-pause-reason">{reasonBy(r.pause_reason, r.paused_by)}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('run.resumeReason')}>{reasonBy(r.resume_reason, r.resumed_by)}</Descriptions.Item>
        <Descriptions.Item label={t('run.stopReason')}>
          <span data-testid="run-stop-reason">{reasonBy(r.stop_reason, r.stopped_by)}</span>
        </Descriptions.Item>
        {r.error && <Descriptions.Item label={t('detail.errorCol')}>{r.error}</Descriptions.Item>}
        {r.output_truncated && <Descriptions.Item label={t('run.truncated')}>{t('common.yes')}</Descriptions.Item>}
      </Descriptions>
      <div>
        <RetryRunButton run={r} taskId={r.task_id} role={role} />
      </div>
      <RunInput run={r} interactive={interactive} role={role} />
      <div>
        <Typography.Text strong>{t('run.artifacts', { count: r.artifact_count })}</Typography.Text>
        <Artifacts run={r} />
      </div>
    </Space>
  )
}
