import { Alert, List, Typography } from 'antd'
import { useTranslation } from 'react-i18next'
import { previewCron } from '../lib/cron'
import { formatLocal } from '../lib/format'

/** The plain-language reading and the next five times of a cron expression, as it is typed. */
export function CronPreview({ expression }: { expression: string }) {
  const { t, i18n } = useTranslation()
  if (expression.trim() === '') return null
  const p = previewCron(expression, i18n.language)
  if (!p.ok) return <Alert type="warning" showIcon title={t('create.cronInvalid', { error: p.error ?? '' })} data-testid="cron-invalid" />
  return (
    <div data-testid="cron-preview">
      <Typography.Paragraph strong data-testid="cron-reading" style={{ marginBottom: 4 }}>
        {p.reading}
      </Typography.Paragraph>
      <Typography.Text type="secondary">{t('create.cronNext')}</Typography.Text>
      <List size="small" dataSource={p.next} renderItem={(d) => <List.Item style={{ padding: '2px 0' }}>{formatLocal(d)}</List.Item>} />
    </div>
  )
}
