const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const

/** "100 MiB (104857600 bytes)": the exact count stays, as limits are configured in bytes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`
  let value = bytes
  let unit = 'bytes'
  for (const u of UNITS) {
    if (value < 1024) break
    value /= 1024
    unit = u
  }
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(1)
  return `${shown} ${unit} (${bytes} bytes)`
}
