/** One reading of the host's memory and CPU, taken every minute for the stats page's hourly bars. */
export interface SystemSample {
  at: number
  memoryUsedBytes: number
  memoryTotalBytes: number
  cpuPercent: number
}
