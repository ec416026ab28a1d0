/**
 * What a name may be: task names (shown, never a path), environment names (a directory name
 * that never reaches a shell unchecked) and user names (audit entries and throttle keys name them).
 */
import { hasControlCharacters, replaceControlCharacters } from '../lib/control-characters.ts'
import { TaskyardError } from './errors.ts'

/** Letters, digits and `._-`, 1–64 characters, not starting with a dot or dash. */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/

export const MAX_TASK_NAME_LENGTH = 200

export function isEnvironmentName(name: string): boolean {
  return SAFE_NAME.test(name)
}

export function isUsername(name: string): boolean {
  return SAFE_NAME.test(name)
}

export function assertEnvironmentName(name: string): void {
  if (isEnvironmentName(name)) return
  // Shown cut short and with controls replaced: the refusal must not carry what it refuses.
  const shown = replaceControlCharacters(name.slice(0, 100), () => '?')
  throw new TaskyardError('invalid_input', 'Invalid environment name', {
    error: `Environment name '${shown}' is not allowed: use 1-64 letters, digits, '.', '_' or '-', not starting with '.' or '-'`,
  })
}

/** Blank is the caller's to refuse (create falls back to the file name; PUT refuses it in its own words). */
export function assertTaskName(name: string): void {
  if (name.length > MAX_TASK_NAME_LENGTH || hasControlCharacters(name)) {
    throw new TaskyardError('invalid_input', 'Invalid task name', {
      error: `Task name must be 1-${MAX_TASK_NAME_LENGTH} characters without control characters`,
    })
  }
}
