import { ArrowLeftOutlined, SaveOutlined } from '@ant-design/icons'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Alert, App, Button, Card, Col, Empty, Row, Space, Tree, Typography } from 'antd'
import { useMemo, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useNavigate, useParams } from 'react-router'
import { api, ApiError } from '../../api/client'
import { useMe } from '../../api/session'
import { ActionButton } from '../../components/ActionButton'
import { CodeEditor } from '../../components/CodeEditor'
import { StatusTag } from '../../components/StatusTag'
import { actionAvailability, UPDATE_SCRIPT_FROM } from '../../lib/task-actions'
import { useTask } from './queries'
import { buildFileTree, buildScriptUpload, decodeContent, saveBlocker, type TaskFileEntry } from './script-files'

/** The content route's cap (server/src/services/read-task-files.ts). */
const MAX_READ_BYTES = 1024 * 1024

const readFile = (taskId: number, path: string) => api.get('/api/tasks/{task_id}/files/content', { params: { task_id: taskId }, query: { path } })

/** spec 004's TaskEditor: the task's files as a tree; open, edit with highlighting, save through update-script. */
export function ScriptEditorPage() {
  const { t } = useTranslation()
  const navigate = useNavigate()
  const { message, modal } = App.useApp()
  const queryClient = useQueryClient()
  const taskId = Number(useParams().taskId)
  const role = useMe().data?.role ?? 'viewer'
  const task = useTask(taskId)
  const files = useQuery({ queryKey: ['task-files', taskId], queryFn: () => api.get('/api/tasks/{task_id}/files', { params: { task_id: taskId } }) })
  const [open, setOpen] = useState<string | null>(null)
  const [edited, setEdited] = useState<Map<string, string>>(new Map())
  const entries = useMemo(() => files.data?.files ?? [], [files.data])
  const tree = useMemo(() => buildFileTree(entries), [entries])
  const content = useQuery({
    queryKey: ['task-file', taskId, open],
    queryFn: () => readFile(taskId, open!),
    enabled: open !== null,
    retry: false,
  })
  const save = useMutation({
    mutationFn: async (force: boolean) => {
      // update-script replaces the whole directory: every file is read back and sent with the edits.
      const contents = new Map<string, Uint8Array>()
      for (const e of entries) if (e.type === 'file' && !edited.has(e.path)) contents.set(e.path, decodeContent(await readFile(taskId, e.path)))
      const form = new FormData()
      form.set('script_file', buildScriptUpload(entries, contents, edited))
      if (force) form.set('force', 'true')
      return api.postForm('/api/tasks/{task_id}/update-script', form, { params: { task_id: taskId } })
    },
    onSuccess: (body) => {
      void message.success(body.message)
      setEdited(new Map())
      void queryClient.invalidateQueries({ queryKey: ['task-files', taskId] })
      void queryClient.invalidateQueries({ queryKey: ['task-file', taskId] })
      void queryClient.invalidateQueries({ queryKey: ['task', taskId] })
      void queryClient.invalidateQueries({ queryKey: ['tasks'] })
    },
    onError: (e) => void message.error(e instanceof ApiError ? e.detail : String(e)),
  })
  const status = task.data?.task.status
  const blocker = saveBlocker(entries, files.data?.truncated ?? false, MAX_READ_BYTES)
  const whyNot =
    role === 'viewer' || (status && actionAvailability('trigger', status, role)?.key === 'actions.why.role')
      ? t('actions.why.role', { role: t(`users.roles.${role}`) })
      : blocker
        ? t(blocker.key, { path: 'path' in blocker ? blocker.path : '' })
        : edited.size === 0
          ? t('files.why.unchanged')
          : null
  const onSave = () => {
    if (status && !UPDATE_SCRIPT_FROM.includes(status)) {
      modal.confirm({
        title: t('files.confirmForce', { status: t(`status.${status}`) }),
        okText: t('common.yes'),
        cancelText: t('common.no'),
        onOk: () => save.mutateAsync(true).catch(() => undefined),
      })
    } else save.mutate(false)
  }
  const text = open === null ? undefined : (edited.get(open) ?? (content.data?.encoding === 'utf-8' ? content.data.content : undefined))
  return (
    <Card
      title={
        <Space wrap>
          <Button type="text" icon={<ArrowLeftOutlined />} aria-label={t('common.back')} onClick={() => navigate(`/tasks/${taskId}`)} />
          <span>{t('files.title')}</span>
          <Typography.Text data-testid="editor-task-name">{task.data?.task.task_name ?? ''}</Typography.Text>
          {status ? <StatusTag status={status} /> : null}
        </Space>
      }
      extra={
        <ActionButton
          testId="save-script"
          size="middle"
          icon={<SaveOutlined />}
          label={t('common.save')}
          what={t('files.what.save')}
          why={whyNot}
          loading={save.isPending}
          onClick={onSave}
        />
      }
    >
      {files.error ? <Alert type="error" showIcon message={files.error instanceof ApiError ? files.error.detail : String(files.error)} /> : null}
      <Row gutter={[16, 16]}>
        <Col xs={24} md={7} lg={6}>
          {/* Mounted once the listing is in: defaultExpandAll applies to the first data only. */}
          {files.data ? (
            <Tree.DirectoryTree
              data-testid="file-tree"
              treeData={tree}
              defaultExpandAll
              selectedKeys={open ? [open] : []}
              onSelect={(keys, info) => {
                if (info.node.isLeaf) setOpen(String(keys[0]))
              }}
              titleRender={(n) => (
                <span data-testid="file-node">
                  {String(n.title)}
                  {edited.has(String(n.key)) ? ' •' : ''}
                </span>
              )}
            />
          ) : null}
          {entries.length === 0 && !files.isPending ? <Empty description={t('files.empty')} /> : null}
        </Col>
        <Col xs={24} md={17} lg={18}>
          {open === null ? (
            <Empty description={t('files.pick')} />
          ) : content.error ? (
            <Alert type="warning" showIcon message={content.error instanceof ApiError ? content.error.detail : String(content.error)} />
          ) : content.data?.encoding === 'base64' ? (
            <Alert type="info" showIcon message={t('files.binary', { size: content.data.size })} />
          ) : text === undefined ? null : (
            <CodeEditor key={open} fileName={open} value={text} height={480} ariaLabel={open} onChange={(v) => setEdited((m) => new Map(m).set(open, v))} />
          )}
        </Col>
      </Row>
    </Card>
  )
}
