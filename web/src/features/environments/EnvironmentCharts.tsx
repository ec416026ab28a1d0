import { Col, Row, Typography } from 'antd'
import { useMemo } from 'react'
import { useTranslation } from 'react-i18next'
import { Chart } from '../../components/Chart'
import type { EnvironmentStats } from './queries'

/** 000a's two charts: each environment's share of tasks (pie) and its package count (bar). */
export function EnvironmentCharts({ stats }: { stats: EnvironmentStats | undefined }) {
  const { t } = useTranslation()
  const usage = stats?.environment_usage ?? []
  const packages = stats?.package_stats ?? []
  const pie = useMemo(
    () => ({
      tooltip: { trigger: 'item', formatter: '{b}: {c}%' },
      legend: { bottom: 0, type: 'scroll' },
      series: [{ type: 'pie', radius: ['35%', '65%'], data: usage.map((u) => ({ name: u.name, value: u.usage_percent })) }],
    }),
    [usage],
  )
  const bar = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 48, right: 16, top: 24, bottom: 40 },
      xAxis: { type: 'category', data: packages.map((p) => p.name) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ name: t('env.packageCount'), type: 'bar', data: packages.map((p) => p.package_count), itemStyle: { color: '#1677ff' } }],
    }),
    [packages, t],
  )
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={12}>
        <Typography.Text strong>{t('env.usageChart')}</Typography.Text>
        <Chart option={pie} height={260} empty={usage.every((u) => !u.usage_percent)} placeholder={t('env.noUsage')} />
      </Col>
      <Col xs={24} lg={12}>
        <Typography.Text strong>{t('env.packagesChart')}</Typography.Text>
        <Chart option={bar} height={260} empty={packages.length === 0} placeholder={t('common.noData')} />
      </Col>
    </Row>
  )
}
