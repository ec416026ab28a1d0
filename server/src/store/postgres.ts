/** PostgreSQL through a pg Pool, with the type parsing the store relies on. */
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Database } from './database.ts'

const INT8_OID = 20
const NUMERIC_OID = 1700

/**
 * Ids and instants are bigint columns, COUNT is bigint and AVG/SUM of bigint are numeric; pg
 * returns all of these as strings. The store's values fit in a double, so they become numbers;
 * an int8 that would not fit fails loudly instead of silently losing digits.
 */
function parseInt8(text: string): number {
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw new RangeError(`PostgreSQL int8 ${text} does not fit in a JavaScript number`)
  return n
}

const getTypeParser = ((oid: number, format?: 'text' | 'binary') => {
  if (format !== 'binary' && oid === INT8_OID) return parseInt8
  if (format !== 'binary' && oid === NUMERIC_OID) return Number
  return pg.types.getTypeParser(oid, format)
}) as pg.CustomTypesConfig['getTypeParser']

export interface PostgresOptions {
  /** lock_timeout of every session: a row lock held elsewhere fails the statement (55P03) after this. */
  lockTimeoutMs?: number
}

const DEFAULT_LOCK_TIMEOUT_MS = 3_000
/** No request should hang on one statement; the store's slowest (statistics) take milliseconds. */
const STATEMENT_TIMEOUT_MS = 30_000
/** A PostgreSQL that does not answer fails the request (503) instead of queueing it for ever. */
const CONNECT_TIMEOUT_MS = 5_000

/** A pool on `url` ('postgres://…'). The parsers are set on this pool only, not on pg globally. */
export function openPostgres(url: string, options: PostgresOptions = {}): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    types: { getTypeParser },
    lock_timeout: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  })
  // An idle client that loses its server emits 'error' on the pool, and an unhandled 'error'
  // event ends the process. The pool has already dropped that client; the next query gets a new one.
  pool.on('error', () => {})
  // A client in use when its connection drops emits 'error' too, with no pool listener on it then:
  // unhandled, that would end the server. Its query is rejected anyway (as database_busy).
  pool.on('connect', (client) => client.on('error', () => {}))
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
}
