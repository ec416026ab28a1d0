import { useQuery } from '@tanstack/react-query'
import { Card, Col, List, Row, Space, Statistic, Typography } from 'antd'
import { useMemo } from 'react'
import { useTranslation } from 'react-i18next'
import { Link } from 'react-router'
import { Chart } from '../../components/Chart'
import { StatusTag } from '../../components/StatusTag'
import { formatSeconds } from '../../lib/format'
import { statsQuery } from './queries'

const STATUS_KEYS = ['scheduled', 'running', 'paused', 'stopped', 'completed', 'failed'] as const

export function DashboardPage() {
  const { t } = useTranslation()
  const stats = useQuery(statsQuery)
  const s = stats.data
  const resources = s?.system_resources ?? null
  const memoryOption = useMemo(
    () =>
      resources && {
        tooltip: { trigger: 'axis' },
        legend: { top: 0 },
        // Room under the legend for the axis names (MB, runs), which it covered on a phone.
        grid: { left: 56, right: 48, top: 60, bottom: 40 },
        xAxis: { type: 'category', data: resources.timestamps.map((x) => x?.slice(11, 16) ?? '') },
        yAxis: [
          { type: 'value', name: 'MB', max: resources.total_memory },
          { type: 'value', name: t('dashboard.runs'), minInterval: 1 },
        ],
        series: [
          { name: t('dashboard.memoryUsed'), type: 'line', areaStyle: {}, data: resources.memory_usage, connectNulls: false },
          {
            name: t('dashboard.memoryTotal'),
            type: 'line',
            data: resources.timestamps.map(() => resources.total_memory),
            lineStyle: { type: 'dashed' },
            symbol: 'none',
          },
          { name: t('dashboard.runsPerHour'), type: 'bar', yAxisIndex: 1, data: resources.task_counts, barMaxWidth: 12 },
        ],
      },
    [resources, t],
  )
  const daysOption = useMemo(
    () =>
      s && {
        tooltip: { trigger: 'axis' },
        legend: { top: 0 },
        grid: { left: 40, right: 16, top: 32, bottom: 40 },
        xAxis: { type: 'category', data: s.last_7_days.dates.map((d) => d.slice(5)) },
        yAxis: { type: 'value', minInterval: 1 },
        series: [
          { name: t('dashboard.successes'), type: 'bar', stack: 'runs', data: s.last_7_days.success_counts, itemStyle: { color: '#52c41a' } },
          { name: t('dashboard.failures'), type: 'bar', stack: 'runs', data: s.last_7_days.failed_counts, itemStyle: { color: '#ff4d4f' } },
        ],
      },
    [s, t],
  )
  const noDays = !s || (s.last_7_days.success_counts.every((n) => n === 0) && s.last_7_days.failed_counts.every((n) => n === 0))
  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <Row gutter={[16, 16]}>
        <Col xs={12} md={6} xl={3}>
          <Card size="small" loading={stats.isPending}>
            <Statistic title={t('dashboard.total')} value={s?.total ?? 0} />
          </Card>
        </Col>
        {STATUS_KEYS.map((k) => (
          <Col xs={12} md={6} xl={3} key={k}>
            <Card size="small" loading={stats.isPending}>
              <Statistic title={t(`status.${k}`)} value={s ? (k === 'stopped' ? s.stopped_count : s[k]) : 0} />
            </Card>
          </Col>
        ))}
        <Col xs={12} md={6} xl={3}>
          <Card size="small" loading={stats.isPending}>
            <Statistic title={t('dashboard.successRate')} value={s?.success_rate ?? 0} suffix="%" precision={1} />
          </Card>
        </Col>
      </Row>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={14}>
          <Card size="small" title={t('dashboard.memory24h')}>
            <Chart option={memoryOption ?? {}} empty={!memoryOption} placeholder={t('dashboard.noResources')} height={280} />
          </Card>
        </Col>
        <Col xs={24} xl={10}>
          <Card size="small" title={t('dashboard.last7')}>
            <Chart option={daysOption ?? {}} empty={noDays} placeholder={t('common.noData')} height={280} />
          </Card>
        </Col>
      </Row>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <Card size="small" title={t('dashboard.upcoming')}>
            <List
              size="small"
              locale={{ emptyText: t('common.noData') }}
              dataSource={s?.upcoming_tasks ?? []}
              renderItem={(u) => (
                <List.Item extra={<Typography.Text type="secondary">{u.scheduled_time ?? '—'}</Typography.Text>}>
                  <Space>
                    <Link to={`/tasks/${u.task_id}`}>{u.task_name}</Link>
                    {u.cron_expression && <Typography.Text code>{u.cron_expression}</Typography.Text>}
                  </Space>
                </List.Item>
              )}
            />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card
            size="small"
            title={t('dashboard.recent')}
            extra={
              s?.avg_duration != null && (
                <Typography.Text type="secondary">
                  {t('dashboard.avgDuration')}: {formatSeconds(s.avg_duration)}
                </Typography.Text>
              )
            }
          >
            <List
              size="small"
              locale={{ emptyText: t('common.noData') }}
              dataSource={s?.recent_tasks ?? []}
              renderItem={(r) => (
                <List.Item
                  extra={
                    <Typography.Text type="secondary">
                      {r.start_time ?? '—'} · {formatSeconds(r.duration)}
                    </Typography.Text>
                  }
                >
                  <Space>
                    <StatusTag status={r.status} />
                    <Link to={`/tasks/${r.task_id}`}>{r.name}</Link>
                  </Space>
                </List.Item>
              )}
            />
          </Card>
        </Col>
      </Row>
    </Space>
  )
}
