import { CaretRightOutlined, DeleteOutlined, EditOutlined, PauseOutlined, StepForwardOutlined, StopOutlined } from '@ant-design/icons'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { App, Space } from 'antd'
import { memo, type ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { useNavigate } from 'react-router'
import { ApiError } from '../../api/client'
import type { TaskStatus } from '../../api/types'
import { ActionButton } from '../../components/ActionButton'
import { actionAvailability, TASK_ACTIONS, type Role, type TaskAction } from '../../lib/task-actions'
import { perform } from './perform-task-action'

const ICONS: Record<TaskAction, ReactNode> = {
  trigger: <CaretRightOutlined />,
  pause: <PauseOutlined />,
  resume: <StepForwardOutlined />,
  stop: <StopOutlined />,
  edit: <EditOutlined />,
  delete: <DeleteOutlined />,
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
}: {
  task: { task_id: number; task_name: string; status: TaskStatus }
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
    mutationFn: (action: Exclude<TaskAction, 'edit'>) => perform(action, task.task_id),
    onSuccess: (body, action) => {
      // The server's own words (spec 000), e.g. "Task paused successfully".
      void message.success(body.message)
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
    if (action === 'delete' || action === 'stop') {
      modal.confirm({
        title: t(action === 'delete' ? 'actions.confirmDelete' : 'actions.confirmStop', { name: task.task_name }),
        okText: t('common.yes'),
        cancelText: t('common.no'),
        okButtonProps: { danger: true },
        onOk: () => run.mutateAsync(action).catch(() => undefined),
      })
      return
    }
    run.mutate(action)
  }
  return (
    <Space wrap={compact !== 'line'} size={4} style={compact === 'grid' ? { width: 84 } : undefined}>
      {TASK_ACTIONS.map((action) => {
        const why = actionAvailability(action, task.status, role)
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
                : null
            }
            icon={ICONS[action]}
            danger={action === 'delete'}
            loading={run.isPending && run.variables === action}
            iconOnly={compact !== undefined}
            onClick={() => onAction(action)}
          />
        )
      })}
    </Space>
  )
})
