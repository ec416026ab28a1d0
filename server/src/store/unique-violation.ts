/** Recognising a unique-index violation, which each driver reports its own way. */

export interface UniqueIndex {
  name: string
  table: string
  columns: readonly string[]
}

/** SQLITE_CONSTRAINT_UNIQUE, extended result code. */
const SQLITE_CONSTRAINT_UNIQUE = 2067
const PG_UNIQUE_VIOLATION = '23505'

/** Whether `error` is a violation of exactly `index`, on either dialect. */
export function isUniqueViolation(error: unknown, index: UniqueIndex): boolean {
  if (typeof error !== 'object' || error === null) return false
  const e = error as { code?: unknown; errcode?: unknown; constraint?: unknown; message?: unknown }
  if (e.code === PG_UNIQUE_VIOLATION) return e.constraint === index.name
  // SQLite names the columns, not the index: "UNIQUE constraint failed: tasks.name".
  if (e.errcode === SQLITE_CONSTRAINT_UNIQUE) {
    return e.message === `UNIQUE constraint failed: ${index.columns.map((c) => `${index.table}.${c}`).join(', ')}`
  }
  return false
}
