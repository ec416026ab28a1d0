import { replaceControlCharacters } from '../lib/control-characters.ts'

const MAX_SHOWN = 200

/**
 * A file or entry name for an error message: in single quotes, control characters escaped so a
 * hostile name cannot forge lines in logs or responses, and cut short when absurdly long.
 */
export function quoteName(name: string): string {
  const visible = replaceControlCharacters(name, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  const shown = visible.length > MAX_SHOWN ? `${visible.slice(0, MAX_SHOWN)}…` : visible
  return `'${shown}'`
}
