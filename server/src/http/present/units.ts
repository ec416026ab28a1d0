/** Seconds with two decimals, as spec 000's durations (45.2). */
export function seconds(ms: number | null | undefined): number | null {
  return ms == null ? null : Math.round(ms / 10) / 100
}

/** Megabytes with one decimal, as spec 000's memory figures (128.5). */
export function megabytes(bytes: number | null | undefined): number | null {
  return bytes == null ? null : Math.round((bytes / 1048576) * 10) / 10
}
