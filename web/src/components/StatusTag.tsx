import { Tag } from 'antd'
import { useTranslation } from 'react-i18next'

const COLORS: Record<string, string> = {
  scheduled: 'blue',
  running: 'processing',
  paused: 'warning',
  stopped: 'default',
  completed: 'success',
  failed: 'error',
  queued: 'cyan',
  cancelled: 'default',
  abnormal: 'magenta',
  timeout: 'volcano',
}

export function StatusTag({ status }: { status: string }) {
  const { t } = useTranslation()
  const known = status in COLORS
  return <Tag color={COLORS[status] ?? 'default'}>{known ? t(`status.${status}` as 'status.running') : status}</Tag>
}
