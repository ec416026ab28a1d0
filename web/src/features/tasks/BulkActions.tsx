import { CaretRightOutlined, DeleteOutlined, PauseOutlined, RedoOutlined, StepForwardOutlined, StopOutlined } from '@ant-design/icons'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { App, List, Modal, Space, Typography } from 'antd'
import { useState, type ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { api, ApiError } from '../../api/client'
import type { TaskListItem } from '../../api/models'
import { ActionButton } from '../../components/ActionButton'
import type { Role } from '../../lib/task-actions'
import { BULK_ACTIONS, bulkAvailability, runBulk, runBulkRetry, type BulkResult } from './bulk-actions'
import { answerText, perform, type RequestAction } from './perform-task-action'

const ICONS: Record<RequestAction, ReactNode> = {
  trigger: <CaretRightOutlined />,
  pause: <PauseOutlined />,
  resume: <StepForwardOutlined />,
  stop: <StopOutlined />,
  retry: <RedoOutlined />,
  delete: <DeleteOutlined />,
}

/** The task list's bulk actions: every button shown, the server's answer listed per task. */
export function BulkActions({ selected, role, onDone }: { selected: TaskListItem[]; role: Role; onDone(): void }) {
  const { t } = useTranslation()
  const { modal, message } = App.useApp()
  const queryClient = useQueryClient()
  const [results, setResults] = useState<{ action: RequestAction; items: BulkResult[] } | null>(null)
  const bulk = useMutation({
    mutationFn: (action: RequestAction) => {
      const describe = (e: unknown) => (e instanceof ApiError ? e.detail : String(e))
      if (action === 'retry') {
        return runBulkRetry(
          selected,
          async (id) => (await api.get('/api/tasks/{task_id}', { params: { task_id: id } })).task.last_execution_id ?? null,
          (ids) => api.post('/api/executions/retry', { execution_ids: ids }),
          {
            noRun: t('actions.why.noRun'),
            retried: (item) => `${item.message ?? ''} ${t('actions.retried', { id: item.new_execution_id, attempt: item.attempt })}`.trim(),
          },
          describe,
        )
      }
      return runBulk(
        selected,
        async (id) => {
          const answer = await perform(action, id)
          return { ...answer, message: answerText(action, answer, t) }
        },
        describe,
      )
    },
    onSuccess: (items, action) => {
      setResults({ action, items })
      onDone()
    },
    onError: (e) => void message.error(e instanceof ApiError ? e.detail : String(e)),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ['tasks'] })
      void queryClient.invalidateQueries({ queryKey: ['stats'] })
    },
  })
  const onAction = (action: RequestAction) => {
    if (action === 'delete' || action === 'stop') {
      modal.confirm({
        title: t(action === 'delete' ? 'bulk.confirmDelete' : 'bulk.confirmStop', { count: selected.length }),
        okText: t('common.yes'),
        cancelText: t('common.no'),
        okButtonProps: { danger: true },
        onOk: () => bulk.mutateAsync(action).catch(() => undefined),
      })
    } else bulk.mutate(action)
  }
  const statuses = selected.map((s) => s.status)
  return (
    <>
      <Space wrap size={4} data-testid="bulk-actions">
        <Typography.Text type="secondary">{t('bulk.selected', { count: selected.length })}</Typography.Text>
        {BULK_ACTIONS.map((action) => {
          const why = bulkAvailability(action, statuses, role)
          return (
            <ActionButton
              key={action}
              testId={`bulk-${action}`}
              label={t(`actions.${action}`)}
              what={t('bulk.what', { action: t(`actions.${action}`) })}
              why={why ? t(why.key, { role: t(`users.roles.${role}`) }) : null}
              icon={ICONS[action]}
              danger={action === 'delete'}
              loading={bulk.isPending && bulk.variables === action}
              onClick={() => onAction(action)}
            />
          )
        })}
      </Space>
      <Modal
        open={results !== null}
        title={results ? t('bulk.results', { action: t(`actions.${results.action}`) }) : ''}
        onCancel={() => setResults(null)}
        onOk={() => setResults(null)}
        cancelButtonProps={{ style: { display: 'none' } }}
      >
        <List
          size="small"
          data-testid="bulk-results"
          dataSource={results?.items ?? []}
          renderItem={(r) => (
            <List.Item data-testid="bulk-result">
              <Space orientation="vertical" size={0}>
                <Typography.Text strong>{r.taskName}</Typography.Text>
                <Typography.Text type={!r.ok ? 'danger' : r.requested ? 'warning' : 'success'} data-testid={r.requested ? 'bulk-requested' : undefined}>
                  {r.message}
                </Typography.Text>
              </Space>
            </List.Item>
          )}
        />
      </Modal>
    </>
  )
}
