import { useMutation, useQueryClient } from '@tanstack/react-query'
import { Alert, App, Form, Input, Modal } from 'antd'
import { useTranslation } from 'react-i18next'
import { api, ApiError } from '../../api/client'
import { ME_KEY } from '../../api/session'

interface Values {
  current_password: string
  new_password: string
  confirm: string
}

export function ChangePasswordModal({ open, onClose }: { open: boolean; onClose(): void }) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const [form] = Form.useForm<Values>()
  const queryClient = useQueryClient()
  const change = useMutation({
    mutationFn: (v: Values) => api.post('/api/auth/password', { current_password: v.current_password, new_password: v.new_password }),
    onSuccess: (body) => {
      // The server renewed this session's cookie; every other session is gone.
      queryClient.setQueryData(ME_KEY, body.user)
      void message.success(t('auth.changed'))
      form.resetFields()
      onClose()
    },
  })
  const error = change.error instanceof ApiError ? change.error.detail : null
  return (
    <Modal
      open={open}
      title={t('auth.changePassword')}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={change.isPending}
      onOk={() => form.submit()}
      onCancel={() => {
        change.reset()
        onClose()
      }}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical" onFinish={(v) => change.mutate(v)}>
        <Form.Item name="current_password" label={t('auth.currentPassword')} rules={[{ required: true, message: t('auth.required') }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Form.Item name="new_password" label={t('auth.newPassword')} rules={[{ required: true, min: 8, message: t('auth.minLength') }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          name="confirm"
          label={t('auth.confirmPassword')}
          dependencies={['new_password']}
          rules={[
            { required: true, message: t('auth.required') },
            ({ getFieldValue }) => ({
              validator: (_, v) => (v === getFieldValue('new_password') ? Promise.resolve() : Promise.reject(new Error(t('auth.mismatch')))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
      </Form>
    </Modal>
  )
}
