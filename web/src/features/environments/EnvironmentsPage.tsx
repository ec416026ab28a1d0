import { PlusOutlined, ReloadOutlined } from '@ant-design/icons'
import { Button, Card, Col, Row, Space, Statistic, Table, Tag } from 'antd'
import type { ColumnsType } from 'antd/es/table'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Link } from 'react-router'
import { useMe } from '../../api/session'
import { ActionButton } from '../../components/ActionButton'
import { formatBytes } from '../../lib/format'
import { CreateEnvironmentModal } from './CreateEnvironmentModal'
import { EnvironmentButton } from './EnvironmentButton'
import { EnvironmentCharts } from './EnvironmentCharts'
import { RenameEnvironmentModal } from './RenameEnvironmentModal'
import { useDeleteEnvironment } from './use-delete-environment'
import { useEnvironments, useEnvironmentStats, type EnvironmentListItem } from './queries'

/** 000a's environments: the stats with their two charts, then every environment. */
export function EnvironmentsPage() {
  const { t } = useTranslation()
  const role = useMe().data?.role ?? 'viewer'
  const envs = useEnvironments()
  const stats = useEnvironmentStats()
  const [creating, setCreating] = useState(false)
  const [renaming, setRenaming] = useState<string | null>(null)
  const del = useDeleteEnvironment()
  const columns: ColumnsType<EnvironmentListItem> = [
    {
      title: t('env.name'),
      dataIndex: 'name',
      sorter: (a, b) => (a.name ?? '').localeCompare(b.name ?? ''),
      render: (name: string) => (
        <Link to={`/environments/${encodeURIComponent(name)}`} data-testid="env-link">
          {name}
        </Link>
      ),
    },
    { title: t('env.python'), dataIndex: 'python_version', width: 100, render: (v: string | null) => v ?? '—' },
    { title: t('env.kind'), dataIndex: 'kind', width: 90, responsive: ['md'] },
    {
      title: t('env.packageCount'),
      key: 'packages',
      width: 90,
      sorter: (a, b) => (a.packages?.length ?? 0) - (b.packages?.length ?? 0),
      render: (_, r) => r.packages?.length ?? 0,
    },
    { title: t('env.size'), dataIndex: 'size_bytes', width: 100, responsive: ['md'], render: (v: number | undefined) => formatBytes(v) },
    { title: t('env.createdAt'), dataIndex: 'created_at', width: 170, responsive: ['lg'], render: (v: string | null) => v ?? '—' },
    {
      title: t('env.status'),
      dataIndex: 'status',
      width: 100,
      render: (s: string | undefined) =>
        s ? <Tag color={s === 'ready' ? 'green' : s === 'failed' ? 'red' : 'blue'}>{t(`env.statuses.${s as 'ready'}`)}</Tag> : '—',
    },
    {
      title: t('actions.label'),
      key: 'actions',
      render: (_, r) => (
        <Space size={4} wrap>
          <EnvironmentButton action="rename" env={r} role={role} onClick={() => setRenaming(r.name)} />
          <EnvironmentButton action="delete" env={r} role={role} loading={del.pending} onClick={() => del.confirm(r.name)} />
        </Space>
      ),
    },
  ]
  const s = stats.data
  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <Row gutter={[16, 16]}>
        <Col xs={12} md={6}>
          <Card>
            <Statistic title={t('env.total')} value={s?.total_environments ?? '—'} />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card>
            <Statistic title={t('env.active')} value={s?.active_environments ?? '—'} />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card>
            <Statistic title={t('env.diskUsage')} value={s?.total_disk_usage ?? '—'} precision={2} suffix="GB" />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card>
            <Statistic title={t('env.latest')} value={s?.latest_created?.name ?? '—'} valueStyle={{ fontSize: 20 }} />
          </Card>
        </Col>
      </Row>
      <Card>
        <EnvironmentCharts stats={s} />
      </Card>
      <Card
        title={t('env.title')}
        extra={
          <Space>
            <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void envs.refetch()} />
            <ActionButton
              testId="env-create"
              size="middle"
              icon={<PlusOutlined />}
              label={t('env.create')}
              what={t('env.what.create')}
              why={role === 'viewer' ? t('env.why.role', { role: t('users.roles.viewer') }) : null}
              onClick={() => setCreating(true)}
            />
          </Space>
        }
      >
        <Table<EnvironmentListItem>
          rowKey={(r) => r.name ?? ''}
          size="middle"
          loading={envs.isPending}
          columns={columns}
          dataSource={envs.data ?? []}
          scroll={{ x: 'max-content' }}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
        />
      </Card>
      <CreateEnvironmentModal open={creating} onClose={() => setCreating(false)} />
      <RenameEnvironmentModal name={renaming} onClose={() => setRenaming(null)} />
    </Space>
  )
}
