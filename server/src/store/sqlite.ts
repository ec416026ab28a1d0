/**
 * SQLite through Node's built-in node:sqlite, as a Kysely dialect: one synchronous connection
 * shared behind a FIFO mutex, the pattern of Kysely's own SqliteDriver.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite'
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type QueryCompiler,
  type QueryResult,
} from 'kysely'
import type { Database } from './database.ts'
import { databaseBusy, isSqliteBusy } from './database-busy.ts'
import { rowBuilder, sameNames, type RowBuilder } from './sqlite-rows.ts'

export const SQLITE_MEMORY = ':memory:'

/**
 * The file behind a SQLite database URL: 'sqlite:/abs/path.db', 'sqlite::memory:', or a bare
 * path. Relative paths resolve against the working directory.
 */
export function sqliteFileFromUrl(url: string): string {
  const rest = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url
  if (rest === SQLITE_MEMORY) return SQLITE_MEMORY
  if (rest === '') throw new Error(`SQLite database URL '${url}' names no file`)
  return path.resolve(rest)
}

export interface SqliteOptions {
  /**
   * How long one statement (or one BEGIN IMMEDIATE) keeps retrying while another process holds
   * the write lock, before it fails with database_busy (503). Default DEFAULT_BUSY_BUDGET_MS.
   */
  busyBudgetMs?: number
}

export const DEFAULT_BUSY_BUDGET_MS = 3_000

/** How long opening may wait, synchronously, for another process to finish its own opening. */
const OPEN_BUSY_BUDGET_MS = 10_000

function retryWhileBusy(step: () => void, budgetMs: number): void {
  const deadline = Date.now() + budgetMs
  for (;;) {
    try {
      step()
      return
    } catch (error) {
      const code = (error as { errcode?: number }).errcode
      // SQLITE_BUSY (5) and SQLITE_LOCKED (6), possibly extended (low byte).
      const busy = code !== undefined && ((code & 0xff) === 5 || (code & 0xff) === 6)
      if (!busy || Date.now() >= deadline) throw error
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20)
    }
  }
}

/** Opens (creating it and its directory if needed) the SQLite database at `file`. */
export function openSqlite(file: string, options: SqliteOptions = {}): Kysely<Database> {
  if (file !== SQLITE_MEMORY) mkdirSync(path.dirname(file), { recursive: true })
  const db = new DatabaseSync(file, { readBigInts: false })
  try {
    // Opening happens before the server serves anything, so here a short blocking wait is
    // acceptable: switching to WAL itself may wait for another process's lock.
    db.exec('PRAGMA busy_timeout = 5000')
    // Switching a new file to WAL needs it alone, and SQLite answers SQLITE_BUSY at once, without
    // its busy handler, while another process opening the same new file does the same: retry.
    retryWhileBusy(() => db.exec('PRAGMA journal_mode = WAL'), OPEN_BUSY_BUDGET_MS)
    db.exec('PRAGMA synchronous = NORMAL')
    db.exec('PRAGMA foreign_keys = ON')
    // node:sqlite is synchronous: an automatic checkpoint inside a commit stalls the whole event
    // loop for ~10 ms every few hundred commits. The driver checkpoints on a timer instead.
    if (file !== SQLITE_MEMORY) db.exec('PRAGMA wal_autocheckpoint = 0')
    // From here on SQLite never waits inside a call: a busy_timeout would block the event loop
    // (node:sqlite is synchronous) for as long as another process holds the lock. The driver
    // retries SQLITE_BUSY itself, asynchronously (issue 6 item 4).
    db.exec('PRAGMA busy_timeout = 0')
  } catch (error) {
    db.close()
    throw error
  }
  return new Kysely<Database>({ dialect: new NodeSqliteDialect(db, options.busyBudgetMs ?? DEFAULT_BUSY_BUDGET_MS) })
}

/** Kysely's SQLite dialect over an open node:sqlite DatabaseSync. */
export class NodeSqliteDialect implements Dialect {
  readonly #db: DatabaseSync
  readonly #busyBudgetMs: number

  constructor(db: DatabaseSync, busyBudgetMs: number = DEFAULT_BUSY_BUDGET_MS) {
    this.#db = db
    this.#busyBudgetMs = busyBudgetMs
  }

  createDriver(): Driver {
    return new NodeSqliteDriver(this.#db, this.#busyBudgetMs)
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler()
  }

  createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter()
  }

  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db)
  }
}

/**
 * SQLite does run DDL inside transactions. Saying so makes Kysely's Migrator wrap the whole
 * migration run in one BEGIN IMMEDIATE transaction, so two processes opening the same new file
 * take turns instead of both applying the same migration. (The base adapter's migration lock is
 * a no-op: it only guards the single in-process connection.)
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true
  }
}

const CHECKPOINT_INTERVAL_MS = 1_000

class NodeSqliteDriver implements Driver {
  readonly #mutex = new Mutex()
  readonly #connection: NodeSqliteConnection
  readonly #db: DatabaseSync

  constructor(db: DatabaseSync, busyBudgetMs: number) {
    this.#db = db
    this.#connection = new NodeSqliteConnection(db, busyBudgetMs, (ms) => this.#waitForLock(ms))
  }

  /**
   * Sleeps between two attempts of a statement that got SQLITE_BUSY. Outside a transaction of
   * ours (a single statement, or our own BEGIN IMMEDIATE) nothing is open on the connection, so
   * it is lent to other queries meanwhile: reads go on while another process holds the write lock.
   */
  async #waitForLock(ms: number): Promise<void> {
    const lend = !this.#db.isTransaction
    if (lend) this.#mutex.unlock()
    try {
      await new Promise((resolve) => setTimeout(resolve, ms))
    } finally {
      if (lend) await this.#mutex.lock()
    }
  }

  #checkpointTimer: NodeJS.Timeout | undefined

  /** Frequent small PASSIVE checkpoints keep the WAL short without ever waiting on readers. */
  async init(): Promise<void> {
    this.#checkpointTimer = setInterval(() => void this.#checkpoint(), CHECKPOINT_INTERVAL_MS)
    this.#checkpointTimer.unref()
  }

  async #checkpoint(): Promise<void> {
    await this.#mutex.lock()
    try {
      if (this.#db.isOpen && !this.#db.isTransaction) this.#db.exec('PRAGMA wal_checkpoint(PASSIVE)')
    } catch {
      // Busy with another process: the next tick tries again.
    } finally {
      this.#mutex.unlock()
    }
  }

  /** There is one connection; whoever holds it (a query or a whole transaction) holds the mutex. */
  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock()
    return this.#connection
  }

  async releaseConnection(): Promise<void> {
    this.#mutex.unlock()
  }

  /**
   * IMMEDIATE takes the write lock at BEGIN. A deferred transaction that reads and then writes
   * must upgrade its lock, and two processes doing that at once fail with SQLITE_BUSY at once,
   * whatever the busy timeout.
   */
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('BEGIN IMMEDIATE'))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'))
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // Some errors (SQLITE_FULL, SQLITE_IOERR…) already rolled the transaction back; a second
    // ROLLBACK would fail and hide the error that matters.
    if (this.#db.isTransaction) await connection.executeQuery(CompiledQuery.raw('ROLLBACK'))
  }

  /** Waits for the current holder (e.g. a transaction) to finish, then closes the file. */
  async destroy(): Promise<void> {
    clearInterval(this.#checkpointTimer)
    await this.#mutex.lock()
    try {
      if (this.#db.isOpen) this.#db.close()
    } finally {
      this.#mutex.unlock()
    }
  }
}

interface Prepared {
  statement: StatementSync
  returnsRows: boolean
  /** Issue 10: rows come back as arrays and become objects of one shape (sqlite-rows.ts). */
  names: string[]
  toRow: RowBuilder | null
}

/** Statements that may change a table's columns. */
const DDL = /^\s*(CREATE|ALTER|DROP)\b/i

/** Enough for every distinct query the store issues, so the hot ones are prepared once. */
const STATEMENT_CACHE_SIZE = 200

/** The first waits are short (a lock is usually held for a commit's few ms), then they grow. */
const FIRST_BUSY_WAIT_MS = 2
const MAX_BUSY_WAIT_MS = 50

class NodeSqliteConnection implements DatabaseConnection {
  readonly #db: DatabaseSync
  readonly #statements = new Map<string, Prepared>()
  readonly #busyBudgetMs: number
  readonly #waitForLock: (ms: number) => Promise<void>

  constructor(db: DatabaseSync, busyBudgetMs: number, waitForLock: (ms: number) => Promise<void>) {
    this.#db = db
    this.#busyBudgetMs = busyBudgetMs
    this.#waitForLock = waitForLock
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const started = performance.now()
    for (let wait = FIRST_BUSY_WAIT_MS; ; wait = Math.min(wait * 2, MAX_BUSY_WAIT_MS)) {
      try {
        return this.#executeOnce<R>(query)
      } catch (error) {
        if (!isSqliteBusy(error)) throw error
        const left = this.#busyBudgetMs - (performance.now() - started)
        if (left <= 0) throw databaseBusy(`Another process has held the SQLite write lock for over ${this.#busyBudgetMs} ms`, error)
        await this.#waitForLock(Math.min(wait, left))
      }
    }
  }

  #executeOnce<R>(query: CompiledQuery): QueryResult<R> {
    const prepared = this.#prepare(query.sql)
    const { statement, returnsRows } = prepared
    const parameters = toSqliteValues(query.parameters)
    if (returnsRows) {
      const arrays = statement.all(...parameters) as unknown as unknown[][]
      if (arrays.length === 0) return { rows: [] }
      // A row of another width than the builder's: the statement was re-prepared by SQLite after
      // a schema change that altered its columns (`SELECT *` after an added column).
      if (prepared.toRow !== null && arrays[0]!.length !== prepared.names.length) prepared.toRow = null
      return { rows: arrays.map(this.#rowBuilderOf(prepared)) as R[] }
    }
    const { changes, lastInsertRowid } = statement.run(...parameters)
    // DDL through this connection (migrations, import-runs' trigger swap) may rename columns of a
    // cached `SELECT *` without changing their number: every builder is made again once.
    if (DDL.test(query.sql)) for (const cached of this.#statements.values()) cached.toRow = null
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) }
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const prepared = this.#prepare(query.sql)
    const toRow = this.#rowBuilderOf(prepared)
    for (const row of prepared.statement.iterate(...toSqliteValues(query.parameters))) yield { rows: [toRow(row as unknown as unknown[]) as R] }
  }

  /**
   * The statement's row builder, made from its columns when there is none yet or a schema change
   * dropped it (see #executeOnce). Issue 10: not checked against columns() on every execution,
   * which built one dictionary-mode object per column and cost ~0.4 ms per run in the profile.
   * Only this connection changes the schema while it is open: another process's migration runs
   * before this one opens, and one server holds the database (database-lock.ts).
   */
  #rowBuilderOf(prepared: Prepared): RowBuilder {
    if (prepared.toRow === null) {
      const columns = prepared.statement.columns()
      if (!sameNames(columns, prepared.names)) prepared.names = columns.map((c) => c.name)
      prepared.toRow = rowBuilder(prepared.names)
    }
    return prepared.toRow
  }

  #prepare(sql: string): Prepared {
    const cached = this.#statements.get(sql)
    if (cached) {
      // Re-inserting keeps the Map in least-recently-used order.
      this.#statements.delete(sql)
      this.#statements.set(sql, cached)
      return cached
    }
    const statement = this.#db.prepare(sql)
    // A statement that declares result columns (SELECT, … RETURNING, some PRAGMAs) yields rows.
    const returnsRows = statement.columns().length > 0
    if (returnsRows) statement.setReturnArrays(true)
    const prepared: Prepared = { statement, returnsRows, names: [], toRow: null }
    this.#statements.set(sql, prepared)
    if (this.#statements.size > STATEMENT_CACHE_SIZE) {
      const oldest = this.#statements.keys().next()
      if (!oldest.done) this.#statements.delete(oldest.value)
    }
    return prepared
  }
}

function toSqliteValues(parameters: readonly unknown[]): SQLInputValue[] {
  return parameters.map((p) => (typeof p === 'boolean' ? Number(p) : (p as SQLInputValue)))
}

/** First come, first served: the lock passes straight to the next waiter. */
class Mutex {
  #locked = false
  readonly #waiters: (() => void)[] = []

  async lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true
      return
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve))
  }

  unlock(): void {
    const next = this.#waiters.shift()
    if (next) next()
    else this.#locked = false
  }
}
