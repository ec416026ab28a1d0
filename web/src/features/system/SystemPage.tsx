import { useQuery } from '@tanstack/react-query'
import { Card, Col, Progress, Row, Space, Statistic, Table, Tag, Typography } from 'antd'
import { useTranslation } from 'react-i18next'
import { Link } from 'react-router'
import { api, type ResponseOf } from '../../api/client'
import { formatBytes, formatDuration } from '../../lib/format'

type Proc = ResponseOf<'/api/system/processes', 'get'>['processes'][number]
const REFRESH_MS = 5000

/** spec 004's system monitor over GET /api/system and /api/system/processes. */
export function SystemPage() {
  const { t } = useTranslation()
  const system = useQuery({ queryKey: ['system'], queryFn: () => api.get('/api/system'), refetchInterval: REFRESH_MS })
  const procs = useQuery({ queryKey: ['system', 'processes'], queryFn: () => api.get('/api/system/processes'), refetchInterval: REFRESH_MS })
  const s = system.data
  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <Row gutter={[16, 16]}>
        <Col xs={24} sm={12} xl={6}>
          <Card size="small" title={t('system.cpu')} loading={!s} extra={s && t('system.cores', { count: s.cpu_count })}>
            {s && <Progress type="dashboard" percent={Math.round(s.cpu_percent)} data-testid="cpu" />}
          </Card>
        </Col>
        <Col xs={24} sm={12} xl={6}>
          <Card size="small" title={t('system.memory')} loading={!s} extra={s && `${formatBytes(s.memory.used_bytes)} / ${formatBytes(s.memory.total_bytes)}`}>
            {s && <Progress type="dashboard" percent={Math.round(s.memory.percent)} />}
          </Card>
        </Col>
        <Col xs={24} sm={12} xl={6}>
          <Card size="small" title={t('system.disk')} loading={!s} extra={s && `${formatBytes(s.disk.used_bytes)} / ${formatBytes(s.disk.total_bytes)}`}>
            {s && <Progress type="dashboard" percent={Math.round(s.disk.percent)} />}
            {s && (
              <Typography.Text type="secondary" ellipsis style={{ display: 'block' }}>
                {s.disk.path}
              </Typography.Text>
            )}
          </Card>
        </Col>
        <Col xs={24} sm={12} xl={6}>
          <Card size="small" title={t('system.uptime')} loading={!s}>
            {s && (
              <>
                <Statistic value={formatDuration(s.uptime_seconds)} />
                <Typography.Text type="secondary">{t('system.serverUptime', { value: formatDuration(s.server_uptime_seconds) })}</Typography.Text>
                <Statistic title={t('system.load')} value={s.load_average.map((l) => l.toFixed(2)).join(' / ')} valueStyle={{ fontSize: 18 }} />
              </>
            )}
          </Card>
        </Col>
      </Row>
      <Card size="small" title={t('system.processes')} extra={<Typography.Text type="secondary">{t('system.refreshing')}</Typography.Text>}>
        <Table<Proc>
          rowKey="pid"
          size="small"
          loading={procs.isPending}
          dataSource={procs.data?.processes ?? []}
          locale={{ emptyText: t('system.noProcesses') }}
          pagination={false}
          scroll={{ x: 'max-content' }}
          columns={[
            { title: t('system.task'), dataIndex: 'task_name', render: (name: string, p) => <Link to={`/tasks/${p.task_id}`}>{name}</Link> },
            { title: t('system.run'), dataIndex: 'execution_id', width: 70 },
            { title: t('system.pid'), dataIndex: 'pid', width: 80 },
            {
              title: t('system.state'),
              dataIndex: 'state',
              width: 70,
              render: (st: string, p) => <Tag color={p.execution_status === 'paused' ? 'warning' : st === 'R' ? 'processing' : 'default'}>{st}</Tag>,
            },
            { title: t('system.cpuPercent'), dataIndex: 'cpu_percent', width: 90, sorter: (a, b) => a.cpu_percent - b.cpu_percent },
            {
              title: t('system.memoryCol'),
              dataIndex: 'memory_bytes',
              width: 100,
              sorter: (a, b) => a.memory_bytes - b.memory_bytes,
              render: (b: number) => formatBytes(b),
            },
            {
              title: t('system.commandLine'),
              dataIndex: 'command',
              render: (c: string) => (
                <Typography.Text code ellipsis style={{ maxWidth: 420 }}>
                  {c}
                </Typography.Text>
              ),
            },
          ]}
        />
      </Card>
    </Space>
  )
}
