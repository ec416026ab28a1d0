import { Col, Form, Input, InputNumber, Row, Select, Switch } from 'antd'
import { useTranslation } from 'react-i18next'
import type { Task } from '../../api/types'

/** The task fields of the run policy and the schedule that both the new-task form and the edit dialog set. */
export interface TaskOptionValues {
  timeout_seconds?: number | null
  time_zone?: string
  misfire?: 'run_once' | 'skip'
  task_type?: string
  labels?: string[]
  interactive?: boolean
}

export function taskOptionInitialValues(task?: Task): TaskOptionValues {
  return {
    timeout_seconds: task?.timeout_seconds ?? null,
    time_zone: task?.time_zone ?? '',
    misfire: task?.misfire ?? 'run_once',
    task_type: task?.task_type ?? '',
    labels: task?.labels ?? [],
    interactive: task?.interactive === true,
  }
}

/** As spec 000's multipart fields of a create: blank ones left out (the server's defaults). */
export function setTaskOptionFields(body: FormData, v: TaskOptionValues, cron: boolean): void {
  if (v.timeout_seconds != null) body.set('timeout_seconds', String(v.timeout_seconds))
  if (v.time_zone?.trim()) body.set('time_zone', v.time_zone.trim())
  if (cron && v.misfire && v.misfire !== 'run_once') body.set('misfire', v.misfire)
  if (v.task_type?.trim()) body.set('task_type', v.task_type.trim())
  if (v.labels?.length) body.set('labels', v.labels.join(','))
  if (v.interactive) body.set('interactive', 'true')
}

/** As PUT /api/tasks/<id> fields: null clears. */
export function taskOptionBody(v: TaskOptionValues) {
  return {
    timeout_seconds: v.timeout_seconds ?? null,
    time_zone: v.time_zone?.trim() ? v.time_zone.trim() : null,
    misfire: v.misfire ?? 'run_once',
    task_type: v.task_type?.trim() ? v.task_type.trim() : null,
    labels: v.labels?.length ? v.labels : null,
    interactive: v.interactive === true,
  }
}

export function TaskOptionsFields({ cron }: { cron: boolean }) {
  const { t } = useTranslation()
  return (
    <Row gutter={16}>
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
