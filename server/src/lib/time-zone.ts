/**
 * The canonical spelling of IANA time zone `name` ('europe/berlin' → 'Europe/Berlin'), or an
 * Error saying why it is not one this runtime knows. Fixed offsets ('+02:00') are refused: a
 * named zone is asked for because it carries its daylight saving rules.
 */
export function canonicalTimeZone(name: string): string | Error {
  if (name.trim() === '') return new Error('the time zone is empty')
  if (name.length > 64 || !/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) {
    return new Error(`'${name}' is not an IANA time zone name (e.g. 'Europe/Berlin')`)
  }
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone
  } catch {
    return new Error(`'${name}' is not a known IANA time zone (e.g. 'Europe/Berlin', 'America/New_York', 'UTC')`)
  }
}
