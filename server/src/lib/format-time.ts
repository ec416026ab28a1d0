const pad = (n: number): string => String(n).padStart(2, '0')

/** `YYYY-MM-DD HH:MM:SS` in the process's local time zone, as spec 000's examples show times. */
export function formatDateTime(ms: number | null | undefined): string | null {
  if (ms == null) return null
  const d = new Date(ms)
  return `${formatDate(ms)} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** `YYYY-MM-DD` in local time. */
export function formatDate(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}
