/** '00'…'99': two-digit fields without padStart (issue 10: 3,000 instants on a 1,000-run page). */
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'))
const pad = (n: number): string => TWO_DIGITS[n] ?? String(n).padStart(2, '0')

/** `YYYY-MM-DD HH:MM:SS` in the process's local time zone, as spec 000's examples show times. */
export function formatDateTime(ms: number | null | undefined): string | null {
  if (ms == null) return null
  const d = new Date(ms)
  return `${dateOf(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** `YYYY-MM-DD` in local time. */
export function formatDate(ms: number): string {
  return dateOf(new Date(ms))
}

function dateOf(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}
