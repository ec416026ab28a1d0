import { CaretRightOutlined, DeleteOutlined, EditOutlined, PauseOutlined, RedoOutlined, StepForwardOutlined, StopOutlined } from '@ant-design/icons'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { App, Input, Space } from 'antd'
import { memo, type ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { useNavigate } from 'react-router'
import { ApiError } from '../../api/client'
import type { RunStatus, TaskStatus } from '../../api/models'
import { ActionButton } from '../../components/ActionButton'
import { actionAvailability, RETRYABLE_RUN_STATUSES, TASK_ACTIONS, type Role, type TaskAction } from '../../lib/task-actions'
import { answerText, perform, type RequestAction } from './perform-task-action'

const ICONS: Record<TaskAction, ReactNode> = {
  trigger: <CaretRightOutlined />,
  pause: <PauseOutlined />,
  resume: <StepForwardOutlined />,
  stop: <StopOutlined />,
  retry: <RedoOutlined />,
  edit: <EditOutlined />,
  delete: <DeleteOutlined />,
}

/** The optional reason box of pause and stop (kept on the run, shown in its panel). */
function ReasonBox({ onChange }: { onChange(v: string): void }) {
  const { t } = useTranslation()
  return (
    <Input.TextArea
      rows={2}
      maxLength={1000}
      placeholder={t('actions.reasonPlaceholder')}
      aria-label={t('actions.reason')}
      data-testid="action-reason"
      onChange={(e) => onChange(e.target.value)}
      style={{ marginTop: 8 }}
    />
  )
}

/**
 * Every task action, always shown; the ones that do not apply now are disabled with the reason.
 * Memoised: the list refetches every 5 s, and an unchanged task (the same object, by TanStack
 * Query's structural sharing) keeps its buttons as they are.
 */
export const TaskActions = memo(function TaskActions({
  task,
  role,
  onDeleted,
  onEdit,
  compact,
  latestRunStatus,
}: {
  task: { task_id: number; task_name: string; status: TaskStatus }
  /** The status of the task's latest run where known (the detail page): retry applies only to a failed, timed-out or abnormal one; null: no run yet. */
  latestRunStatus?: RunStatus | null
  role: Role
  onDeleted?(): void
  onEdit?(): void
  /** Icons only, for the task list: in one line, or three to a line on a narrow screen. */
  compact?: 'line' | 'grid'
}) {
  const { t } = useTranslation()
  const { message, modal } = App.useApp()
  const navigate = useNavigate()
  const queryClient = useQueryClient()
  const run = useMutation({
    mutationFn: ({ action, reason }: { action: RequestAction; reason?: string }) => perform(action, task.task_id, reason),
    onSuccess: (body, { action }) => {
      // The server's own words (spec 000), e.g. "Task paused successfully"; a request is not a success yet.
      if (body.requested) void message.info(answerText(action, body, t))
      else void message.success(answerText(action, body, t))
      void queryClient.invalidateQueries({ queryKey: ['tasks'] })
      void queryClient.invalidateQueries({ queryKey: ['stats'] })
      if (action === 'delete') {
        queryClient.removeQueries({ queryKey: ['task', task.task_id] })
        onDeleted?.()
      } else {
        void queryClient.invalidateQueries({ queryKey: ['task', task.task_id] })
      }
    },
    onError: (e) => {
      void message.error(e instanceof ApiError ? e.detail : String(e))
      void queryClient.invalidateQueries({ queryKey: ['tasks'] })
      void queryClient.invalidateQueries({ queryKey: ['task', task.task_id] })
    },
  })
  const onAction = (action: TaskAction) => {
    if (action === 'edit') {
      if (onEdit) onEdit()
      else navigate(`/tasks/${task.task_id}?edit=1`)
      return
    }
    if (action === 'delete') {
      modal.confirm({
        title: t('actions.confirmDelete', { name: task.task_name }),
        okText: t('common.yes'),
        cancelText: t('common.no'),
        okButtonProps: { danger: true },
        onOk: () => run.mutateAsync({ action }).catch(() => undefined),
      })
      return
    }
    if (action === 'stop' || action === 'pause') {
      let reason = ''
      modal.confirm({
        title: t(action === 'stop' ? 'actions.confirmStop' : 'actions.confirmPause', { name: task.task_name }),
        content: <ReasonBox onChange={(v) => (reason = v)} />,
        okText: t('common.yes'),
        cancelText: t('common.no'),
        okButtonProps: { danger: action === 'stop' },
        onOk: () => run.mutateAsync({ action, reason }).catch(() => undefined),
      })
      return
    }
    run.mutate({ action })
  }
  return (
    <Space wrap={compact !== 'line'} size={4} style={compact === 'grid' ? { width: 84 } : undefined}>
      {TASK_ACTIONS.map((action) => {
        const why = actionAvailability(action, task.status, role)
        const runWhy =
          !why && action === 'retry' && latestRunStatus !== undefined && (latestRunStatus === null || !RETRYABLE_RUN_STATUSES.includes(latestRunStatus))
            ? latestRunStatus === null
              ? t('actions.why.noRun')
              : t('actions.why.runStatus', { status: t(`status.${latestRunStatus}` as 'status.running') })
            : null
        return (
          <ActionButton
            key={action}
            testId={`action-${action}`}
            label={t(`actions.${action}`)}
            what={t(`actions.what.${action}`)}
            why={
              why
                ? t(why.key, {
                    status: why.values.status ? t(`status.${why.values.status}` as 'status.running') : '',
                    role: why.values.role ? t(`users.roles.${why.values.role}` as 'users.roles.viewer') : '',
                  })
                : runWhy
            }
            icon={ICONS[action]}
            danger={action === 'delete'}
            loading={run.isPending && run.variables?.action === action}
            iconOnly={compact !== undefined}
            onClick={() => onAction(action)}
          />
        )
      })}
    </Space>
  )
})
