import { TaskyardError } from './errors.ts'
import { MAX_REASON_LENGTH } from './run.ts'

/** Control characters but tab and line feed: a reason may span lines, never forge them. */
const FORBIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f]/

/**
 * The optional `reason` of pause / resume / stop (spec 003's TaskControlRequest): absent, null or
 * blank is no reason; anything else is kept as given, or refused naming what is wrong.
 */
export function parseReason(value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string') throw invalidReason(`reason must be a string, got ${typeof value}`)
  if (value.trim() === '') return null
  if (value.length > MAX_REASON_LENGTH) throw invalidReason(`reason must be at most ${MAX_REASON_LENGTH} characters, got ${value.length}`)
  if (FORBIDDEN.test(value)) throw invalidReason('reason must not contain control characters (tab and line feed are allowed)')
  return value
}

function invalidReason(error: string): TaskyardError {
  return new TaskyardError('invalid_input', 'Invalid reason', { error })
}
