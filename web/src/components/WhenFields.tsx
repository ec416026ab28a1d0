import { Form, Input, InputNumber, Radio } from 'antd'
import { useTranslation } from 'react-i18next'
import { CronPreview } from './CronPreview'

/**
 * A task form's "when to run": once (now), after a delay, or on a cron expression with its plain
 * reading and next five times shown as it is typed. The form's own field names are kept: `when`,
 * `delay_seconds`, and the cron field the route takes (`cron_expression`, spec 001's `cron_expr`).
 */
export function WhenFields({
  once,
  delay = true,
  cronName = 'cron_expression',
}: {
  /** The value and label of the run-once choice (spec 000's create says now, its edit once). */
  once: { value: string; label: string }
  /** Offer "after a delay" (spec 001's shell tasks have none). */
  delay?: boolean
  cronName?: 'cron_expression' | 'cron_expr'
}) {
  const { t } = useTranslation()
  const form = Form.useFormInstance()
  const when: unknown = Form.useWatch('when', form)
  const cron: unknown = Form.useWatch(cronName, form)
  const required = [{ required: true, message: t('auth.required') }]
  return (
    <>
      <Form.Item name="when" label={t('create.when')}>
        <Radio.Group
          optionType="button"
          options={[once, ...(delay ? [{ value: 'delay', label: t('create.delay') }] : []), { value: 'cron', label: t('create.cron') }]}
        />
      </Form.Item>
      {delay && when === 'delay' && (
        <Form.Item name="delay_seconds" label={t('create.delaySeconds')} rules={required}>
          <InputNumber min={0} step={1} style={{ width: 200 }} />
        </Form.Item>
      )}
      {when === 'cron' && (
        <>
          <Form.Item name={cronName} label={t('create.cronExpression')} rules={required}>
            <Input style={{ fontFamily: 'monospace', maxWidth: 320 }} />
          </Form.Item>
          <div style={{ marginBottom: 16 }}>
            <CronPreview expression={typeof cron === 'string' ? cron : ''} />
          </div>
        </>
      )}
    </>
  )
}
