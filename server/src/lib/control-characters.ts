/**
 * C0 controls and DEL. In a name or a message they would forge lines in logs, listings and
 * responses, or break the command lines that name a file.
 */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g

export function hasControlCharacters(text: string): boolean {
  return CONTROL_CHARACTER.test(text)
}

/** `text` with each control character replaced by what `by` gives for it. */
export function replaceControlCharacters(text: string, by: (character: string) => string): string {
  return text.replace(CONTROL_CHARACTERS, by)
}
