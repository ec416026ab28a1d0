import { RedoOutlined } from '@ant-design/icons'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { App } from 'antd'
import { useTranslation } from 'react-i18next'
import { api, ApiError } from '../../api/client'
import type { User } from '../../api/models'
import { ActionButton } from '../../components/ActionButton'
import { roleWhy } from '../../lib/roles'
import { RETRYABLE_RUN_STATUSES } from '../../lib/task-actions'
import { answerText } from './perform-task-action'

/**
 * Retries one run (POST /api/executions/<id>/retry): the next attempt of its chain. Always shown;
 * disabled with the reason unless the run failed, timed out or ended abnormally.
 */
export function RetryRunButton({
  run,
  taskId,
  role,
  testId = 'run-retry',
}: {
  run: { execution_id: string; status: string }
  taskId: number
  role: User['role'] | undefined
  testId?: string
}) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const queryClient = useQueryClient()
  const retry = useMutation({
    mutationFn: () => api.post('/api/executions/{execution_id}/retry', undefined, { params: { execution_id: run.execution_id } }),
    onSuccess: (body) => void message.success(answerText('retry', body, t)),
    onError: (e) => void message.error(e instanceof ApiError ? e.detail : String(e)),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ['task', taskId] })
      void queryClient.invalidateQueries({ queryKey: ['tasks'] })
      void queryClient.invalidateQueries({ queryKey: ['run', run.execution_id] })
    },
  })
  const why =
    roleWhy(role, t) ??
    (RETRYABLE_RUN_STATUSES.includes(run.status) ? null : t('actions.why.runStatus', { status: t(`status.${run.status}` as 'status.running') }))
  return (
    <ActionButton
      testId={testId}
      icon={<RedoOutlined />}
      label={t('actions.retry')}
      what={t('actions.what.retryRun', { id: run.execution_id })}
      why={why}
      loading={retry.isPending}
      onClick={() => retry.mutate()}
    />
  )
}
