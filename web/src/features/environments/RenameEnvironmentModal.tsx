import { Form, Input, Modal } from 'antd'
import { useTranslation } from 'react-i18next'
import { api } from '../../api/client'
import { useEnvironmentMutation } from './queries'

/** 000a rename: the tasks of the environment follow it to the new name. */
export function RenameEnvironmentModal({ name, onClose, onRenamed }: { name: string | null; onClose(): void; onRenamed?(newName: string): void }) {
  const { t } = useTranslation()
  const [form] = Form.useForm<{ new_name: string }>()
  const rename = useEnvironmentMutation(
    (newName: string) => api.put('/api/conda/environment/{env_name}', { new_name: newName }, { params: { env_name: name ?? '' } }),
    () => t('env.renamed'),
    (newName) => {
      onClose()
      onRenamed?.(newName)
    },
  )
  return (
    <Modal
      open={name !== null}
      title={t('env.renameTitle', { name })}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={rename.isPending}
      onCancel={onClose}
      onOk={() => void form.validateFields().then((v) => rename.mutate(v.new_name.trim()))}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" initialValues={{ new_name: name ?? '' }}>
        <Form.Item
          name="new_name"
          label={t('env.newName')}
          extra={t('env.renameHelp')}
          rules={[{ required: true, whitespace: true, message: t('auth.required') }]}
        >
          <Input autoFocus data-testid="rename-env-input" />
        </Form.Item>
      </Form>
    </Modal>
  )
}
