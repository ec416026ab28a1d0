/**
 * An id as the API writes it: a positive decimal integer without sign, leading zeros, spaces or
 * exponent. `Number()` would read `0x1`, `1e0`, ` 1` and `01` as 1, so one resource would answer
 * to many spellings; null for anything but the one spelling.
 */
export function canonicalId(raw: unknown): number | null {
  if (typeof raw !== 'string' || !/^[1-9][0-9]{0,14}$/.test(raw)) return null
  return Number(raw)
}
