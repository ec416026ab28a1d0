import { Empty, Skeleton } from 'antd'
import type { EChartsCoreOption } from 'echarts/core'
import { lazy, Suspense } from 'react'

const EChartImpl = lazy(() => import('./EChartImpl'))

/**
 * An ECharts chart, or a placeholder when there is no data (spec 000: the frontend shows a
 * placeholder when data is unavailable). The library is fetched on first use.
 */
export function Chart({ option, height = 260, empty, placeholder }: { option: EChartsCoreOption; height?: number; empty: boolean; placeholder: string }) {
  if (empty) {
    return (
      <div style={{ height, display: 'flex', alignItems: 'center', justifyContent: 'center' }} data-testid="chart-placeholder">
        <Empty description={placeholder} />
      </div>
    )
  }
  return (
    <Suspense fallback={<Skeleton.Node active style={{ width: '100%', height }} />}>
      <EChartImpl option={option} height={height} />
    </Suspense>
  )
}
