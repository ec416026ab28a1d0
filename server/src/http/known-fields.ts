import { TaskyardError } from '../domain/errors.ts'

/**
 * Refuses fields the route does not know. A typo such as `cron_expresion` was silently ignored
 * and the task ran at once; naming the unknown field and the accepted ones lets the user fix it.
 */
export function assertKnownFields(sent: Iterable<string>, accepted: readonly string[]): void {
  const unknown = [...new Set(sent)].filter((f) => !accepted.includes(f))
  if (unknown.length === 0) return
  const list = unknown.map((f) => `'${f}'`).join(', ')
  throw new TaskyardError('unknown_fields', 'Unknown fields in request', {
    error: `Unknown field${unknown.length > 1 ? 's' : ''} ${list}; accepted fields: ${accepted.length ? accepted.join(', ') : 'none'}`,
    unknown_fields: unknown,
    accepted_fields: [...accepted],
  })
}
