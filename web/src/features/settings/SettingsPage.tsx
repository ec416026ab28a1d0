import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Alert, App, Button, Card, Descriptions, Form, InputNumber, Radio, Space, Switch, Tooltip } from 'antd'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, ApiError, type BodyOf } from '../../api/client'
import { useMe } from '../../api/session'
import { adminWhy } from '../../lib/roles'

interface Values {
  fromConfig: boolean
  max_workers: number | null
  when_busy: 'queue' | 'refuse'
}

/** The queue's settings (GET/PUT /api/settings): every user reads them, admins change them. */
export function SettingsPage() {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const me = useMe()
  const queryClient = useQueryClient()
  const [form] = Form.useForm<Values>()
  const fromConfig = Form.useWatch('fromConfig', form)
  const [error, setError] = useState<string | null>(null)
  const notAdmin = adminWhy(me.data?.role, t)
  const settings = useQuery({ queryKey: ['settings'], queryFn: async () => (await api.get('/api/settings')).settings })
  const save = useMutation({
    mutationFn: (v: Values) => {
      const body: BodyOf<'/api/settings', 'put'> = { max_workers: v.fromConfig ? null : v.max_workers, when_busy: v.when_busy }
      return api.put('/api/settings', body)
    },
    onSuccess: (body) => {
      void message.success(body.message ?? t('settings.saved'))
      queryClient.setQueryData(['settings'], body.settings)
      void queryClient.invalidateQueries({ queryKey: ['queue'] })
    },
    onError: (e) => setError(e instanceof ApiError ? e.detail : String(e)),
  })
  const s = settings.data
  return (
    <Card title={t('settings.title')} style={{ maxWidth: 760 }} loading={settings.isPending}>
      {settings.error && <Alert type="error" showIcon title={settings.error instanceof ApiError ? settings.error.detail : String(settings.error)} />}
      {s && (
        <>
          <Descriptions size="small" column={1} style={{ marginBottom: 16 }} data-testid="settings-current">
            <Descriptions.Item label={t('settings.maxWorkers')}>{s.max_workers ?? t('queue.unlimited')}</Descriptions.Item>
            <Descriptions.Item label={t('settings.source')}>{t(`settings.sources.${s.max_workers_source}`)}</Descriptions.Item>
            <Descriptions.Item label={t('settings.configured')}>{s.configured_max_workers ?? t('queue.unlimited')}</Descriptions.Item>
            <Descriptions.Item label={t('settings.whenBusy')}>{t(`settings.busy.${s.when_busy}`)}</Descriptions.Item>
            <Descriptions.Item label={t('detail.updatedAt')}>{s.updated_at ?? '—'}</Descriptions.Item>
          </Descriptions>
          {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="settings-error" />}
          <Form<Values>
            form={form}
            layout="vertical"
            disabled={notAdmin !== null}
            initialValues={{
              fromConfig: s.max_workers_source === 'config',
              max_workers: s.max_workers ?? s.configured_max_workers ?? 4,
              when_busy: s.when_busy,
            }}
            onFinish={(v) => {
              setError(null)
              save.mutate(v)
            }}
          >
            <Form.Item name="fromConfig" label={t('settings.useConfig')} valuePropName="checked" extra={t('settings.useConfigHelp')}>
              <Switch data-testid="settings-from-config" />
            </Form.Item>
            <Form.Item name="max_workers" label={t('settings.maxWorkers')} extra={t('settings.maxWorkersHelp')}>
              <InputNumber min={1} max={1024} precision={0} disabled={fromConfig || notAdmin !== null} data-testid="settings-max-workers" />
            </Form.Item>
            <Form.Item name="when_busy" label={t('settings.whenBusy')} extra={t('settings.whenBusyHelp')}>
              <Radio.Group
                options={[
                  { value: 'queue', label: t('settings.busy.queue') },
                  { value: 'refuse', label: t('settings.busy.refuse') },
                ]}
              />
            </Form.Item>
            <Space>
              {/* Always shown; for a non-admin disabled, saying why. */}
              <Tooltip title={notAdmin}>
                <span style={{ display: 'inline-block' }} tabIndex={notAdmin ? 0 : undefined} data-testid="settings-save" data-why={notAdmin ?? ''}>
                  <Button type="primary" htmlType="submit" loading={save.isPending} disabled={notAdmin !== null}>
                    {t('common.save')}
                  </Button>
                </span>
              </Tooltip>
            </Space>
          </Form>
        </>
      )}
    </Card>
  )
}
