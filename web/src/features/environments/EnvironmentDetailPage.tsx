import { ArrowLeftOutlined } from '@ant-design/icons'
import { Alert, Button, Card, Descriptions, Input, Result, Space, Table, Tag, Typography } from 'antd'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useNavigate, useParams } from 'react-router'
import { api, ApiError } from '../../api/client'
import { useMe } from '../../api/session'
import { LogViewer } from '../../components/LogViewer'
import { formatBytes, formatSeconds } from '../../lib/format'
import { parsePackageSpecs } from './environment-actions'
import { EnvironmentButton } from './EnvironmentButton'
import { RenameEnvironmentModal } from './RenameEnvironmentModal'
import { useDeleteEnvironment } from './use-delete-environment'
import { useEnvironment, useEnvironmentMutation, type EnvironmentDetail } from './queries'

type Package = EnvironmentDetail['packages'][number]

/** One environment: what it is, its packages, and every change 000a allows. */
export function EnvironmentDetailPage() {
  const { t } = useTranslation()
  const navigate = useNavigate()
  const name = useParams().envName ?? ''
  const role = useMe().data?.role ?? 'viewer'
  const [specs, setSpecs] = useState('')
  const [selected, setSelected] = useState<string[]>([])
  const [renaming, setRenaming] = useState(false)
  const install = useEnvironmentMutation(
    (packages: string[]) => api.post('/api/conda/environment/{env_name}/packages', { packages }, { params: { env_name: name } }),
    () => t('env.installed'),
    () => setSpecs(''),
  )
  const remove = useEnvironmentMutation(
    (packages: string[]) => api.delete('/api/conda/environment/{env_name}/packages', { params: { env_name: name } }, { packages }),
    () => t('env.removed'),
    () => setSelected([]),
  )
  const del = useDeleteEnvironment(() => navigate('/environments'))
  const env = useEnvironment(name, { busy: install.isPending || remove.isPending })
  if (env.error) {
    const status = env.error instanceof ApiError ? env.error.status : 0
    return (
      <Result
        status={status === 404 ? '404' : 'error'}
        title={status === 404 ? t('env.notFound') : t('common.error')}
        subTitle={env.error instanceof ApiError ? env.error.detail : String(env.error)}
        extra={<Button onClick={() => navigate('/environments')}>{t('common.back')}</Button>}
      />
    )
  }
  const e = env.data
  const subject = { name, status: e?.status }
  const packages: Package[] = e?.packages ?? []
  const toInstall = parsePackageSpecs(specs)
  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <Card
        loading={env.isPending}
        title={
          <Space>
            <Button type="text" icon={<ArrowLeftOutlined />} aria-label={t('common.back')} onClick={() => navigate('/environments')} />
            <span data-testid="env-title">{name}</span>
            {e?.status ? <Tag>{t(`env.statuses.${e.status}`)}</Tag> : null}
          </Space>
        }
        extra={
          <Space wrap size={4}>
            <EnvironmentButton action="rename" env={subject} role={role} onClick={() => setRenaming(true)} />
            <EnvironmentButton
              action="export"
              env={subject}
              role={role}
              onClick={() => window.open(api.url('/api/conda/environment/{env_name}/export', { params: { env_name: name } }), '_self')}
            />
            <EnvironmentButton action="delete" env={subject} role={role} loading={del.pending} onClick={() => del.confirm(name)} />
          </Space>
        }
      >
        <Descriptions size="small" column={{ xs: 1, md: 2, xl: 3 }} bordered>
          <Descriptions.Item label={t('env.python')}>{e?.python_version ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('env.kind')}>{e?.kind ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('env.createdAt')}>{e?.created_at ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('env.location')}>{e?.location ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('env.size')}>{formatBytes(e?.size_bytes)}</Descriptions.Item>
          <Descriptions.Item label={t('env.totalTasks')}>{e?.usage_stats?.total_tasks ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('dashboard.successRate')}>
            {e?.usage_stats?.success_rate == null ? '—' : `${e.usage_stats.success_rate}%`}
          </Descriptions.Item>
          <Descriptions.Item label={t('dashboard.avgDuration')}>{formatSeconds(e?.usage_stats?.avg_execution_time)}</Descriptions.Item>
        </Descriptions>
      </Card>
      <Card title={t('env.packagesTitle', { count: packages.length })}>
        <Space.Compact style={{ width: '100%', marginBottom: 16 }}>
          <Input
            value={specs}
            onChange={(ev) => setSpecs(ev.target.value)}
            placeholder={t('env.installPlaceholder')}
            aria-label={t('env.installPlaceholder')}
            data-testid="install-input"
            onPressEnter={() => toInstall.length > 0 && install.mutate(toInstall)}
          />
          <EnvironmentButton
            action="install"
            env={subject}
            role={role}
            size="middle"
            selected={toInstall.length}
            loading={install.isPending}
            onClick={() => toInstall.length > 0 && install.mutate(toInstall)}
          />
        </Space.Compact>
        <Space style={{ marginBottom: 8 }}>
          <EnvironmentButton
            action="remove"
            env={subject}
            role={role}
            selected={selected.length}
            loading={remove.isPending}
            onClick={() => remove.mutate(selected)}
          />
        </Space>
        <Table<Package>
          rowKey={(p) => p.name ?? ''}
          size="small"
          dataSource={packages}
          rowSelection={role === 'viewer' ? undefined : { selectedRowKeys: selected, onChange: (keys) => setSelected(keys.map(String)) }}
          columns={[
            { title: t('env.package'), dataIndex: 'name', sorter: (a, b) => (a.name ?? '').localeCompare(b.name ?? '') },
            { title: t('env.version'), dataIndex: 'version', width: 160 },
          ]}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
        />
      </Card>
      <BuildLogCard build={e?.last_build ?? null} loading={env.isPending} />
      <RenameEnvironmentModal
        name={renaming ? name : null}
        onClose={() => setRenaming(false)}
        onRenamed={(newName) => navigate(`/environments/${encodeURIComponent(newName)}`, { replace: true })}
      />
    </Space>
  )
}

type Build = NonNullable<EnvironmentDetail['last_build']>

/** The environment's newest build: what it did, how it ended, and its log, live while it runs. */
function BuildLogCard({ build, loading }: { build: Build | null; loading: boolean }) {
  const { t } = useTranslation()
  const state = build === null ? null : build.ended_at === null ? 'running' : build.ok ? 'ok' : 'failed'
  const color = { running: 'processing', ok: 'success', failed: 'error' } as const
  return (
    <Card
      loading={loading}
      title={t('env.buildLog')}
      extra={
        build && state ? (
          <Space wrap size={4} data-testid="build-state" data-state={state}>
            <Typography.Text type="secondary">{t('env.buildTitle', { action: t(`env.buildActions.${build.action}`), at: build.started_at })}</Typography.Text>
            <Tag color={color[state]}>{t(`env.buildStates.${state}`)}</Tag>
          </Space>
        ) : null
      }
    >
      {build === null ? (
        <Alert type="info" title={t('env.noBuild')} />
      ) : (
        <Space orientation="vertical" size={8} style={{ width: '100%' }}>
          {build.error ? <Alert type="error" showIcon title={build.error} data-testid="build-error" /> : null}
          <LogViewer key={build.id} url={`${build.log_url}&stream=true`} fileName={`environment-build-${build.id}.log`} />
        </Space>
      )}
    </Card>
  )
}
