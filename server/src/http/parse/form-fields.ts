/** Text fields of a multipart form, as browsers and curl send them. */
import { TaskyardError } from '../../domain/errors.ts'

/** Empty form fields count as absent, as browsers send every field of a form. */
export function present(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

/** An absent flag is false; the usual spellings of yes and no are accepted, anything else is refused by name. */
export function parseBoolean(field: string, value: string | undefined): boolean {
  if (value === undefined) return false
  const v = value.trim().toLowerCase()
  if (['true', '1', 'yes', 'on'].includes(v)) return true
  if (['false', '0', 'no', 'off'].includes(v)) return false
  throw new TaskyardError('invalid_input', 'Invalid request', { error: `${field} must be true or false, got '${value}'` })
}
