import { DeleteOutlined, DownloadOutlined, EditOutlined, MinusCircleOutlined, PlusCircleOutlined } from '@ant-design/icons'
import type { ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { ActionButton } from '../../components/ActionButton'
import { environmentAvailability, type EnvironmentAction, type Role } from './environment-actions'

const ICONS: Record<EnvironmentAction, ReactNode> = {
  rename: <EditOutlined />,
  install: <PlusCircleOutlined />,
  remove: <MinusCircleOutlined />,
  delete: <DeleteOutlined />,
  export: <DownloadOutlined />,
}

/** One environment action, always shown; disabled with the reason when it does not apply (000a's UI rule). */
export function EnvironmentButton(props: {
  action: EnvironmentAction
  env: { name: string; status?: string | undefined }
  role: Role
  selected?: number
  loading?: boolean
  size?: 'small' | 'middle'
  onClick(): void
}) {
  const { t } = useTranslation()
  const why = environmentAvailability(props.action, props.env, props.role, props.selected)
  return (
    <ActionButton
      testId={`env-${props.action}`}
      label={t(`env.actions.${props.action}`)}
      what={t(`env.what.${props.action}`)}
      why={why ? t(why, { role: t(`users.roles.${props.role}`) }) : null}
      icon={ICONS[props.action]}
      danger={props.action === 'delete'}
      loading={props.loading ?? false}
      size={props.size ?? 'small'}
      onClick={props.onClick}
    />
  )
}
