import { Form, Input, Modal } from 'antd'
import { useTranslation } from 'react-i18next'
import { api } from '../../api/client'
import { useEnvironmentMutation } from './queries'

interface Values {
  name: string
  python_version?: string
  requirements?: string
}

/** 000a create: the requirements are installed all or nothing (the server removes a failed new environment). */
export function CreateEnvironmentModal({ open, onClose }: { open: boolean; onClose(): void }) {
  const { t } = useTranslation()
  const [form] = Form.useForm<Values>()
  const create = useEnvironmentMutation(
    (v: Values) =>
      api.post('/api/conda/environment', {
        name: v.name.trim(),
        ...(v.python_version?.trim() ? { python_version: v.python_version.trim() } : {}),
        ...(v.requirements?.trim() ? { requirements: v.requirements } : {}),
      }),
    () => t('env.created'),
    () => {
      form.resetFields()
      onClose()
    },
  )
  return (
    <Modal
      open={open}
      title={t('env.create')}
      okText={t('common.create')}
      cancelText={t('common.cancel')}
      confirmLoading={create.isPending}
      onCancel={onClose}
      onOk={() => void form.validateFields().then((v) => create.mutate(v))}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" data-testid="create-env-form">
        <Form.Item name="name" label={t('env.name')} rules={[{ required: true, whitespace: true, message: t('auth.required') }]}>
          <Input autoFocus placeholder="science" />
        </Form.Item>
        <Form.Item name="python_version" label={t('env.python')} extra={t('env.pythonHelp')}>
          <Input placeholder="3.11" />
        </Form.Item>
        <Form.Item name="requirements" label={t('create.requirements')}>
          <Input.TextArea rows={5} placeholder={t('create.requirementsPlaceholder')} style={{ fontFamily: 'ui-monospace, monospace' }} />
        </Form.Item>
      </Form>
    </Modal>
  )
}
