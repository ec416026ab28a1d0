import { Empty, Skeleton } from 'antd'
import type { EChartsCoreOption } from 'echarts/core'
import { lazy, Suspense, useEffect, useState } from 'react'

const EChartImpl = lazy(() => import('./EChartImpl'))

/**
 * An ECharts chart, or a placeholder when there is no data (spec 000: the frontend shows a
 * placeholder when data is unavailable). The library is fetched on first use.
 */
/** True once the browser has painted the page around it (a frame, then a task). */
function useAfterPaint(): boolean {
  const [painted, setPainted] = useState(false)
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const frame = requestAnimationFrame(() => (timer = setTimeout(() => setPainted(true), 0)))
    return () => {
      cancelAnimationFrame(frame)
      clearTimeout(timer)
    }
  }, [])
  return painted
}

export function Chart({ option, height = 260, empty, placeholder }: { option: EChartsCoreOption; height?: number; empty: boolean; placeholder: string }) {
  // ECharts takes a few hundred ms to evaluate: fetched once the page's text is on screen, so the
  // numbers and lists show first. The skeleton has the chart's height: nothing moves when it comes.
  const painted = useAfterPaint()
  if (empty) {
    return (
      <div style={{ height, display: 'flex', alignItems: 'center', justifyContent: 'center' }} data-testid="chart-placeholder">
        <Empty description={placeholder} />
      </div>
    )
  }
  const skeleton = <Skeleton.Node active style={{ width: '100%', height }} />
  if (!painted) return skeleton
  return (
    <Suspense fallback={skeleton}>
      <EChartImpl option={option} height={height} />
    </Suspense>
  )
}
