/** A half-open interval of epoch ms: from ≤ t < to. */
export interface TimeRange {
  from: number
  to: number
}
