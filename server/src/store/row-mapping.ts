import type { RowOf } from './database.ts'

const columnByKey = new Map<string, string>()
const keyByColumn = new Map<string, string>()

function columnOf(key: string): string {
  let column = columnByKey.get(key)
  if (column === undefined) {
    column = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
    columnByKey.set(key, column)
  }
  return column
}

function keyOf(column: string): string {
  let key = keyByColumn.get(column)
  if (key === undefined) {
    key = column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
    keyByColumn.set(column, key)
  }
  return key
}

/**
 * The listed fields of a domain value under their column names. `allowed` names every field on
 * purpose: a caller that spreads a whole object into a patch cannot write `id` or a column the
 * contract keeps read-only. Undefined values are left out, so a patch touches only what it sets.
 */
export function toRow<T extends object>(value: T, allowed: Readonly<Record<keyof T, true>>): RowOf<T> {
  const row: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    if (v !== undefined && Object.hasOwn(allowed, key)) row[columnOf(key)] = v
  }
  return row as RowOf<T>
}

/** A row as its domain object. The row must hold exactly the object's columns (see database.ts). */
export function fromRow<T>(row: RowOf<T>): T {
  const value: Record<string, unknown> = {}
  for (const [column, v] of Object.entries(row)) value[keyOf(column)] = v
  return value as T
}
