/**
 * Queries of the run path compiled once and executed many times (issue 10). Kysely builds an
 * immutable tree for every query and compiles it to SQL on every execution: in the trigger
 * profile that was the store's largest cost after SQLite itself (~0.9 ms of ~25 statements per
 * run). Here a query is built and compiled once per `key`, with stand-ins for its arguments, and
 * later executions only put the arguments in the stand-ins' places.
 */
import type { CompiledQuery, Compilable, Kysely, QueryResult } from 'kysely'
import type { Database } from './database.ts'

/** Where an argument goes while the query is compiled. */
class Slot {
  readonly index: number
  constructor(index: number) {
    this.index = index
  }
}

interface Template {
  sql: string
  /** Bound values as compiled: a Slot is replaced by its argument, anything else is a constant. */
  parameters: readonly unknown[]
  query: CompiledQuery['query']
  /** Kysely's plugins keep per-query state under it; the store uses none, so one id serves every execution. */
  queryId: CompiledQuery['queryId']
}

const templates = new Map<string, Template>()

/**
 * Runs `build(...args)` on `db` (the store's Kysely or a transaction), compiled once per `key`.
 * What must hold, or the cached SQL would be another query's: `key` names everything the SQL's
 * text depends on besides `args` (the dialect, the set of patched columns, an `$if`), and every
 * argument becomes a bound value, never part of the text (not a list for `in`, not a `null` for
 * `is`). An argument that does not appear among the bound values is refused at the first compile.
 */
export async function executeCompiled<R, A extends unknown[]>(
  db: Kysely<Database>,
  key: string,
  args: [...A],
  build: (...args: A) => Compilable<R>,
): Promise<QueryResult<R>> {
  let template = templates.get(key)
  if (template === undefined) {
    const compiled = build(...(args.map((_, i) => new Slot(i)) as unknown as A)).compile()
    const used = new Set(compiled.parameters.filter((p) => p instanceof Slot).map((p) => p.index))
    if (used.size !== args.length) throw new Error(`compiled query ${key}: an argument is not a bound value`)
    template = { sql: compiled.sql, parameters: compiled.parameters, query: compiled.query, queryId: compiled.queryId }
    templates.set(key, template)
  }
  const parameters = template.parameters.map((p) => (p instanceof Slot ? args[p.index] : p))
  const query: CompiledQuery<R> = { sql: template.sql, parameters, query: template.query, queryId: template.queryId }
  return db.executeQuery<R>(query)
}

/** The first row of executeCompiled, or undefined. */
export async function firstCompiled<R, A extends unknown[]>(
  db: Kysely<Database>,
  key: string,
  args: [...A],
  build: (...args: A) => Compilable<R>,
): Promise<R | undefined> {
  return (await executeCompiled(db, key, args, build)).rows[0]
}
