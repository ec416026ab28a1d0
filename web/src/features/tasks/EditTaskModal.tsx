import { useMutation, useQueryClient } from '@tanstack/react-query'
import { Alert, App, Form, Input, Modal, Select } from 'antd'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, ApiError, type BodyOf } from '../../api/client'
import type { Task } from '../../api/models'
import { fieldOfError } from '../../lib/field-errors'
import { WhenFields } from '../../components/WhenFields'
import { taskOptionBody, taskOptionInitialValues, TaskOptionsFields, type TaskOptionValues } from './TaskOptionsFields'

type When = 'once' | 'delay' | 'cron'
interface Values extends TaskOptionValues {
  task_name: string
  conda_env: string
  command: string
  requirements?: string
  when: When
  delay_seconds?: number
  cron_expression?: string
  priority: string
}

/** spec 000 PUT /api/tasks/<id>: the configuration; refusals are shown at their field. */
export function EditTaskModal({ task, open, onClose }: { task: Task; open: boolean; onClose(): void }) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const queryClient = useQueryClient()
  const [form] = Form.useForm<Values>()
  const [formError, setFormError] = useState<string | null>(null)
  const when = Form.useWatch('when', form)
  const save = useMutation({
    mutationFn: async (v: Values) => {
      const body: BodyOf<'/api/tasks/{task_id}', 'put'> = {
        task_name: v.task_name,
        conda_env: v.conda_env,
        command: v.command,
        requirements: v.requirements ?? '',
        priority: v.priority,
        ...taskOptionBody(v),
      }
      if (v.when === 'cron') body.cron_expression = v.cron_expression ?? ''
      if (v.when === 'delay') body.delay_seconds = v.delay_seconds ?? 0
      if (v.when === 'once') body.cron_expression = null
      return await api.put('/api/tasks/{task_id}', body, { params: { task_id: task.task_id } })
    },
    onSuccess: (body) => {
      void message.success(body.message)
      void queryClient.invalidateQueries({ queryKey: ['task', task.task_id] })
      void queryClient.invalidateQueries({ queryKey: ['tasks'] })
      onClose()
    },
    onError: (e) => {
      const detail = e instanceof ApiError ? e.detail : String(e)
      const field = fieldOfError(e)
      if (field && field !== 'script') {
        form.setFields([{ name: field, errors: [detail] }])
        setFormError(null)
      } else {
        setFormError(detail)
      }
    },
  })
  return (
    <Modal
      open={open}
      title={`${t('actions.edit')}: ${task.task_name}`}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={save.isPending}
      destroyOnHidden
      width={640}
    >
      {formError && <Alert type="error" showIcon title={formError} style={{ marginBottom: 16 }} />}
      <Form<Values>
        form={form}
        layout="vertical"
        preserve={false}
        initialValues={{
          task_name: task.task_name,
          conda_env: task.conda_env,
          command: task.command,
          requirements: task.requirements ?? '',
          when: task.cron_expression ? 'cron' : task.delay_seconds != null ? 'delay' : 'once',
          cron_expression: task.cron_expression ?? '',
          delay_seconds: task.delay_seconds ?? undefined,
          priority: String(task.priority_value),
          ...taskOptionInitialValues(task),
        }}
        onFinish={(v) => {
          setFormError(null)
          save.mutate(v)
        }}
      >
        <Form.Item name="task_name" label={t('create.name')} rules={[{ required: true, message: t('auth.required') }]}>
          <Input />
        </Form.Item>
        <Form.Item name="conda_env" label={t('create.env')} rules={[{ required: true, message: t('auth.required') }]}>
          <Input />
        </Form.Item>
        <Form.Item name="command" label={t('create.command')} rules={[{ required: true, message: t('auth.required') }]}>
          <Input style={{ fontFamily: 'monospace' }} />
        </Form.Item>
        <Form.Item name="requirements" label={t('create.requirements')}>
          <Input.TextArea rows={3} style={{ fontFamily: 'monospace' }} />
        </Form.Item>
        <WhenFields once={{ value: 'once', label: t('tasks.once') }} />
        <Form.Item name="priority" label={t('create.priority')}>
          <Select options={Array.from({ length: 12 }, (_, i) => ({ value: String(i), label: String(i) }))} style={{ width: 200 }} />
        </Form.Item>
        <TaskOptionsFields cron={when === 'cron'} />
      </Form>
    </Modal>
  )
}
