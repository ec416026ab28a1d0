/** Small numeric helpers for the benchmark. */

/** The q-quantile (0 ≤ q ≤ 1) of `values` by the nearest-rank method; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil(q * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

export interface Summary {
  n: number
  min: number
  p50: number
  p95: number
  p99: number
  max: number
  mean: number
}

export function summarize(values: readonly number[]): Summary {
  const sum = values.reduce((a, b) => a + b, 0)
  return {
    n: values.length,
    min: Math.min(...values),
    p50: quantile(values, 0.5),
    p95: quantile(values, 0.95),
    p99: quantile(values, 0.99),
    max: Math.max(...values),
    mean: values.length ? sum / values.length : Number.NaN,
  }
}

export const ms = (v: number, digits = 2): string => `${v.toFixed(digits)} ms`
export const mib = (bytes: number, digits = 1): string => `${(bytes / 1024 / 1024).toFixed(digits)} MiB`

export function fmtSummary(s: Summary, digits = 2): string {
  return `p50 ${s.p50.toFixed(digits)} / p95 ${s.p95.toFixed(digits)} / p99 ${s.p99.toFixed(digits)} / max ${s.max.toFixed(digits)} ms (n=${s.n})`
}

/** Wall-clock ms with sub-ms resolution, on the same scale as Date.now(). */
export const wallNow = (): number => performance.timeOrigin + performance.now()
