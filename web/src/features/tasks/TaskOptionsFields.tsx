import { Col, Form, Input, InputNumber, Row, Select, Switch } from 'antd'
import { useTranslation } from 'react-i18next'
import type { Task } from '../../api/models'

/** Issue 8: what a run due while the previous one is live does; forbid, the default, is never sent back by the server. */
export type Concurrency = NonNullable<Task['concurrency']> | 'forbid'

/** The task fields of the run policy and the schedule that both the new-task form and the edit dialog set. */
export interface TaskOptionValues {
  concurrency?: Concurrency
  timeout_seconds?: number | null
  time_zone?: string
  misfire?: 'run_once' | 'skip'
  task_type?: string
  labels?: string[]
  interactive?: boolean
  /** Issue 8's automatic retries and issue 9's Node.js version; blank: the server's default. */
  max_retries?: number | null
  retry_backoff_seconds?: number | null
  retry_max_backoff_seconds?: number | null
  node_version?: string
}

export function taskOptionInitialValues(task?: Task): TaskOptionValues {
  return {
    // Shown by the server only when it is not the default (issue 8).
    concurrency: task?.concurrency ?? 'forbid',
    timeout_seconds: task?.timeout_seconds ?? null,
    time_zone: task?.time_zone ?? '',
    misfire: task?.misfire ?? 'run_once',
    task_type: task?.task_type ?? '',
    labels: task?.labels ?? [],
    interactive: task?.interactive === true,
    max_retries: task?.max_retries ?? null,
    retry_backoff_seconds: task?.retry_backoff_seconds ?? null,
    retry_max_backoff_seconds: task?.retry_max_backoff_seconds ?? null,
    node_version: task?.node_version ?? '',
  }
}

/** As spec 000's multipart fields of a create: blank ones left out (the server's defaults). */
export function setTaskOptionFields(body: FormData, v: TaskOptionValues, cron: boolean): void {
  if (v.concurrency && v.concurrency !== 'forbid') body.set('concurrency', v.concurrency)
  if (v.timeout_seconds != null) body.set('timeout_seconds', String(v.timeout_seconds))
  if (v.time_zone?.trim()) body.set('time_zone', v.time_zone.trim())
  if (cron && v.misfire && v.misfire !== 'run_once') body.set('misfire', v.misfire)
  if (v.task_type?.trim()) body.set('task_type', v.task_type.trim())
  if (v.labels?.length) body.set('labels', v.labels.join(','))
  if (v.interactive) body.set('interactive', 'true')
  if (v.max_retries != null) body.set('max_retries', String(v.max_retries))
  if (v.retry_backoff_seconds != null) body.set('retry_backoff_seconds', String(v.retry_backoff_seconds))
  if (v.retry_max_backoff_seconds != null) body.set('retry_max_backoff_seconds', String(v.retry_max_backoff_seconds))
  if (v.node_version?.trim()) body.set('node_version', v.node_version.trim())
}

/** As PUT /api/tasks/<id> fields: null clears. */
export function taskOptionBody(v: TaskOptionValues) {
  return {
    concurrency: v.concurrency ?? 'forbid',
    timeout_seconds: v.timeout_seconds ?? null,
    time_zone: v.time_zone?.trim() ? v.time_zone.trim() : null,
    misfire: v.misfire ?? 'run_once',
    task_type: v.task_type?.trim() ? v.task_type.trim() : null,
    labels: v.labels?.length ? v.labels : null,
    interactive: v.interactive === true,
    max_retries: v.max_retries ?? null,
    retry_backoff_seconds: v.retry_backoff_seconds ?? null,
    retry_max_backoff_seconds: v.retry_max_backoff_seconds ?? null,
    node_version: v.node_version?.trim() ? v.node_version.trim() : null,
  }
}

export function TaskOptionsFields({ cron }: { cron: boolean }) {
  const { t } = useTranslation()
  return (
    <Row gutter={16}>
      <Col xs={24} md={12}>
        <Form.Item name="concurrency" label={t('create.concurrency')}>
          <Select
            style={{ maxWidth: 320 }}
            data-testid="concurrency"
            options={[
              { value: 'forbid', label: t('create.concurrencyForbid') },
              { value: 'queue', label: t('create.concurrencyQueue') },
              { value: 'allow', label: t('create.concurrencyAllow') },
              { value: 'replace', label: t('create.concurrencyReplace') },
            ]}
          />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name="timeout_seconds" label={t('form.timeout')} extra={t('form.timeoutHelp')}>
          <InputNumber min={1} max={31536000} precision={0} style={{ width: 200 }} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name="task_type" label={t('form.taskType')} extra={t('form.taskTypeHelp')}>
          <Input maxLength={100} style={{ maxWidth: 320 }} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name="labels" label={t('form.labels')} extra={t('form.labelsHelp')}>
          <Select mode="tags" tokenSeparators={[',']} open={false} suffixIcon={null} style={{ maxWidth: 320 }} aria-label={t('form.labels')} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name="interactive" label={t('form.interactive')} extra={t('form.interactiveHelp')} valuePropName="checked">
          <Switch data-testid="interactive-switch" />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name="max_retries" label={t('form.maxRetries')} extra={t('form.maxRetriesHelp')}>
          <InputNumber min={0} max={10} precision={0} style={{ width: 200 }} data-testid="max-retries" />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name="node_version" label={t('form.nodeVersion')} extra={t('form.nodeVersionHelp')}>
          <Input placeholder="20" maxLength={4} style={{ width: 200 }} data-testid="node-version" />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name="retry_backoff_seconds" label={t('form.retryBackoff')} extra={t('form.retryBackoffHelp')}>
          <InputNumber min={1} max={86400} precision={0} style={{ width: 200 }} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name="retry_max_backoff_seconds" label={t('form.retryMaxBackoff')} extra={t('form.retryMaxBackoffHelp')}>
          <InputNumber min={1} max={86400} precision={0} style={{ width: 200 }} />
        </Form.Item>
      </Col>
      {cron && (
        <>
          <Col xs={24} md={12}>
            <Form.Item name="time_zone" label={t('form.timeZone')} extra={t('form.timeZoneHelp')}>
              <Input placeholder="Europe/Berlin" style={{ maxWidth: 320 }} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="misfire" label={t('form.misfire')}>
              <Select
                style={{ maxWidth: 320 }}
                options={[
                  { value: 'run_once', label: t('form.misfires.run_once') },
                  { value: 'skip', label: t('form.misfires.skip') },
                ]}
              />
            </Form.Item>
          </Col>
        </>
      )}
    </Row>
  )
}
