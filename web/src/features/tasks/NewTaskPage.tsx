import { InboxOutlined } from '@ant-design/icons'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { Alert, App, Button, Card, Form, Input, Select, Tabs, Upload } from 'antd'
import type { UploadFile } from 'antd'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useNavigate } from 'react-router'
import { api, ApiError } from '../../api/client'
import { CodeEditor } from '../../components/CodeEditor'
import { fieldOfError, type TaskField } from '../../lib/field-errors'
import { WhenFields } from '../../components/WhenFields'
import { useTasks } from './queries'
import { setTaskOptionFields, taskOptionInitialValues, TaskOptionsFields, type TaskOptionValues } from './TaskOptionsFields'

type When = 'now' | 'delay' | 'cron'
interface Values extends TaskOptionValues {
  task_name: string
  conda_env: string
  requirements?: string
  command?: string
  when: When
  delay_seconds?: number
  cron_expression?: string
  priority: string
  file_name: string
}

const DEFAULT_SCRIPT = 'print("hello from Taskyard")\n'

export function NewTaskPage() {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const navigate = useNavigate()
  const queryClient = useQueryClient()
  const tasks = useTasks()
  const [form] = Form.useForm<Values>()
  const [source, setSource] = useState<'upload' | 'write'>('upload')
  const [files, setFiles] = useState<UploadFile[]>([])
  const [script, setScript] = useState(DEFAULT_SCRIPT)
  const [formError, setFormError] = useState<string | null>(null)
  const when = Form.useWatch('when', form) ?? 'now'
  const fileName = Form.useWatch('file_name', form) ?? 'main.py'
  const envs = [...new Set(['base', ...(tasks.data ?? []).map((x) => x.conda_env)])].sort()

  const create = useMutation({
    mutationFn: async (v: Values) => {
      const body = new FormData()
      const file = files[0]?.originFileObj
      if (source === 'upload') {
        if (!file) throw new ApiError(400, { message: t('create.needScript'), error: 'script_file' })
        body.set('script_file', file, file.name)
      } else {
        body.set('script_file', new Blob([script], { type: 'text/plain' }), v.file_name || 'main.py')
      }
      body.set('task_name', v.task_name)
      body.set('conda_env', v.conda_env || 'base')
      if (v.requirements?.trim()) body.set('requirements', v.requirements)
      if (v.command?.trim()) body.set('command', v.command.trim())
      if (v.when === 'delay' && v.delay_seconds != null) body.set('delay_seconds', String(v.delay_seconds))
      if (v.when === 'cron' && v.cron_expression) body.set('cron_expression', v.cron_expression.trim())
      body.set('priority', v.priority)
      setTaskOptionFields(body, v, v.when === 'cron')
      // A multipart create answers 201 with spec 000's task (the 200 shape is spec 001's JSON create).
      return await api.postForm('/api/tasks', body)
    },
    onSuccess: (body) => {
      void message.success(body.message || t('create.created'))
      void queryClient.invalidateQueries({ queryKey: ['tasks'] })
      navigate(`/tasks/${body.task.task_id}`)
    },
    onError: (e) => {
      // spec 000's refusal, shown at the field it concerns.
      const detail = e instanceof ApiError ? e.detail : String(e)
      const field: TaskField | null = fieldOfError(e)
      const formField = field === 'requirements' ? 'requirements' : field === 'script' ? null : field
      if (formField) {
        form.setFields([{ name: formField, errors: [detail] }])
        setFormError(null)
      } else {
        setFormError(detail)
      }
    },
  })

  return (
    <Card title={t('create.title')} style={{ maxWidth: 960 }}>
      {formError && <Alert type="error" showIcon title={formError} style={{ marginBottom: 16 }} data-testid="form-error" />}
      <Form<Values>
        form={form}
        layout="vertical"
        initialValues={{
          conda_env: 'base',
          when: 'now',
          priority: 'normal',
          file_name: 'main.py',
          cron_expression: '*/5 * * * *',
          ...taskOptionInitialValues(),
        }}
        onFinish={(v) => {
          setFormError(null)
          create.mutate(v)
        }}
      >
        <Form.Item name="task_name" label={t('create.name')} rules={[{ required: true, message: t('auth.required') }]}>
          <Input placeholder={t('create.namePlaceholder')} maxLength={200} />
        </Form.Item>
        <Form.Item label={t('create.source')} required>
          <Tabs
            activeKey={source}
            onChange={(k) => setSource(k as 'upload' | 'write')}
            items={[
              {
                key: 'upload',
                label: t('create.upload'),
                children: (
                  <Upload.Dragger
                    name="script_file"
                    multiple={false}
                    maxCount={1}
                    fileList={files}
                    beforeUpload={() => false}
                    onChange={(info) => setFiles(info.fileList.slice(-1))}
                    data-testid="upload"
                  >
                    <p className="ant-upload-drag-icon">
                      <InboxOutlined />
                    </p>
                    <p className="ant-upload-text">{t('create.dropHint')}</p>
                    <p className="ant-upload-hint">{t('create.dropSub')}</p>
                  </Upload.Dragger>
                ),
              },
              {
                key: 'write',
                label: t('create.write'),
                children: (
                  <>
                    <Form.Item name="file_name" label={t('create.fileName')} style={{ maxWidth: 320 }}>
                      <Input />
                    </Form.Item>
                    <CodeEditor value={script} onChange={setScript} fileName={fileName} height={280} />
                  </>
                ),
              },
            ]}
          />
        </Form.Item>
        <Form.Item name="conda_env" label={t('create.env')} rules={[{ required: true, message: t('auth.required') }]}>
          <Select showSearch options={envs.map((e) => ({ value: e, label: e }))} style={{ maxWidth: 320 }} />
        </Form.Item>
        <Form.Item name="requirements" label={t('create.requirements')}>
          <Input.TextArea rows={3} placeholder={t('create.requirementsPlaceholder')} style={{ fontFamily: 'monospace' }} />
        </Form.Item>
        <Form.Item name="command" label={t('create.command')} extra={t('create.commandHelp')}>
          <Input placeholder="python main.py --arg value" style={{ fontFamily: 'monospace' }} />
        </Form.Item>
        <WhenFields once={{ value: 'now', label: t('create.now') }} />
        <Form.Item name="priority" label={t('create.priority')}>
          <Select
            style={{ maxWidth: 320 }}
            options={[
              { value: 'high', label: `${t('priority.high')} (2)` },
              { value: 'normal', label: `${t('priority.normal')} (5)` },
              { value: 'low', label: `${t('priority.low')} (8)` },
              ...Array.from({ length: 12 }, (_, i) => ({ value: String(i), label: String(i) })),
            ]}
          />
        </Form.Item>
        <TaskOptionsFields cron={when === 'cron'} />
        <Button type="primary" htmlType="submit" loading={create.isPending} data-testid="create-submit">
          {t('create.submit')}
        </Button>
      </Form>
    </Card>
  )
}
