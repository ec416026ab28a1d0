import { App } from 'antd'
import { useTranslation } from 'react-i18next'
import { api } from '../../api/client'
import { useEnvironmentMutation } from './queries'

/** Delete after a confirmation; the server refuses while a task references the environment, naming them. */
export function useDeleteEnvironment(after?: () => void) {
  const { t } = useTranslation()
  const { modal } = App.useApp()
  const remove = useEnvironmentMutation(
    (name: string) => api.delete('/api/conda/environment/{env_name}', { params: { env_name: name } }),
    (name) => t('env.deleted', { name }),
    after,
  )
  const confirm = (name: string) =>
    modal.confirm({
      title: t('env.confirmDelete', { name }),
      okText: t('common.yes'),
      cancelText: t('common.no'),
      okButtonProps: { danger: true },
      onOk: () => remove.mutateAsync(name).catch(() => undefined),
    })
  return { confirm, pending: remove.isPending }
}
