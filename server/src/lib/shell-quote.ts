/** One word for a POSIX shell: single-quoted, so the shell expands nothing in it. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`
}
