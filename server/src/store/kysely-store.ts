/** The Store contract on Kysely, for SQLite and PostgreSQL alike. */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { Kysely } from 'kysely'
import type { Database } from './database.ts'
import { asDatabaseBusy } from './database-busy.ts'
import { migrateToLatest } from './migrations/migrate-to-latest.ts'
import { openPostgres } from './postgres.ts'
import { openSqlite, SQLITE_MEMORY, sqliteFileFromUrl } from './sqlite.ts'
import type { DialectName, Store, StoreOptions, StoreTables } from './store.ts'
import { apiTokenTable } from './tables/api-token-table.ts'
import { auditLogTable } from './tables/audit-log-table.ts'
import { environmentBuildTable } from './tables/environment-build-table.ts'
import { queueSettingsTable } from './tables/queue-settings-table.ts'
import { runTable } from './tables/run-table.ts'
import { scheduleSlotTable } from './tables/schedule-slot-table.ts'
import { serverTable } from './tables/server-table.ts'
import { sessionTable } from './tables/session-table.ts'
import { systemSampleTable } from './tables/system-sample-table.ts'
import { taskTable } from './tables/task-table.ts'
import { userTable } from './tables/user-table.ts'

/** 'postgres://…' and 'postgresql://…' are PostgreSQL; 'sqlite:…' and bare paths are SQLite. */
export function dialectOfUrl(url: string): DialectName {
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres'
  if (url.startsWith('sqlite:') || !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return 'sqlite'
  throw new Error(`Unsupported database URL '${url}': use 'sqlite:<path>' or 'postgres://…'`)
}

/**
 * How long bringing a SQLite schema up to date may wait for another process's write lock. Every
 * open runs the migrator in one BEGIN IMMEDIATE transaction, also when nothing is left to apply,
 * so servers and CLI commands starting together take turns; on a loaded machine a turn can
 * outlast a request's busy budget (3 s), and start-up, which serves nothing yet, can wait longer.
 */
export const SQLITE_MIGRATION_BUSY_BUDGET_MS = 30_000

/** Opens the database behind `options.databaseUrl` and brings its schema up to date. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const dialect = dialectOfUrl(options.databaseUrl)
  if (dialect === 'sqlite') await migrateSqliteFile(sqliteFileFromUrl(options.databaseUrl))
  const db =
    dialect === 'postgres'
      ? openPostgres(options.databaseUrl, options.busyBudgetMs === undefined ? {} : { lockTimeoutMs: options.busyBudgetMs })
      : openSqlite(sqliteFileFromUrl(options.databaseUrl), options.busyBudgetMs === undefined ? {} : { busyBudgetMs: options.busyBudgetMs })
  try {
    if (dialect === 'postgres' || sqliteFileFromUrl(options.databaseUrl) === SQLITE_MEMORY) await migrateToLatest(db, dialect)
  } catch (error) {
    await db.destroy()
    // Raw, not database_busy: at start-up the operator needs the cause itself.
    throw error
  }
  return kyselyStore(db, dialect)
}

/** Migrates a SQLite file through a connection of its own, with the longer lock budget. */
async function migrateSqliteFile(file: string): Promise<void> {
  if (file === SQLITE_MEMORY) return // its own connection would be another database
  const db = openSqlite(file, { busyBudgetMs: SQLITE_MIGRATION_BUSY_BUDGET_MS })
  try {
    await migrateToLatest(db, 'sqlite')
  } finally {
    await db.destroy()
  }
}

/** How each table is made on `db` (the store's Kysely or a transaction's). */
const TABLES: { [K in keyof StoreTables]: (db: Kysely<Database>, dialect: DialectName, inTransaction: boolean) => StoreTables[K] } = {
  tasks: (db, dialect) => taskTable(db, dialect),
  runs: (db, dialect) => runTable(db, dialect),
  systemSamples: (db) => systemSampleTable(db),
  users: (db, dialect) => userTable(db, dialect),
  sessions: (db, dialect) => sessionTable(db, dialect),
  apiTokens: (db, dialect) => apiTokenTable(db, dialect),
  auditLog: (db, dialect) => auditLogTable(db, dialect),
  environmentBuilds: (db) => environmentBuildTable(db),
  servers: (db, dialect) => serverTable(db, dialect),
  queueSettings: (db, dialect, inTransaction) => queueSettingsTable(db, dialect, inTransaction),
  scheduleSlots: (db) => scheduleSlotTable(db),
}

/**
 * The tables on `db`, each method running `check` first (guard). Issue 10: a table is made (and
 * its methods wrapped) when first used, not every table for every transaction: a run's
 * transactions use three or four of the eleven, and making all cost ~0.1 ms a transaction.
 */
function guardedTablesOn(db: Kysely<Database>, dialect: DialectName, inTransaction: boolean, check: () => void): StoreTables {
  const tables = {} as Record<keyof StoreTables, unknown>
  for (const name of Object.keys(TABLES) as (keyof StoreTables)[]) {
    let made: unknown
    Object.defineProperty(tables, name, {
      enumerable: true,
      get: () => (made ??= guard(TABLES[name](db, dialect, inTransaction) as object, check, dialect)),
    })
  }
  return tables as StoreTables
}

/** A Store over an open, migrated database. close() destroys `db`. */
export function kyselyStore(db: Kysely<Database>, dialect: DialectName): Store {
  /** Set while a transaction's fn runs, in fn's async context. */
  const transactionScope = new AsyncLocalStorage<{ open: boolean }>()

  // Inside fn only the tx tables may be used. On SQLite the store's own tables would wait for the
  // one connection that the transaction holds until fn ends: a deadlock. On PostgreSQL they would
  // silently write outside the transaction. Failing fast keeps both dialects the same.
  const assertOutsideTransaction = (): void => {
    if (transactionScope.getStore()?.open) {
      throw new Error('Store used directly inside transaction(fn): use the tables fn receives (tx)')
    }
  }

  let closed: Promise<void> | undefined

  return {
    dialect,
    ...guardedTablesOn(db, dialect, false, assertOutsideTransaction),

    async transaction(fn) {
      assertOutsideTransaction()
      try {
        return await db.transaction().execute(async (trx) => {
          const scope = { open: true }
          const tx = guardedTablesOn(trx, dialect, true, () => {
            if (!scope.open) throw new Error('Transaction tables used after their transaction ended')
          })
          try {
            return await transactionScope.run(scope, () => fn(tx))
          } finally {
            // Before COMMIT or ROLLBACK: from here on, work that fn left running uses the store
            // normally (and on SQLite waits for the commit), while a stray tx call fails.
            scope.open = false
          }
        })
      } catch (error) {
        // BEGIN or COMMIT may be what found the database busy.
        throw asDatabaseBusy(error, dialect)
      }
    },

    // Idempotent, so a test's cleanup may close a store the test already closed.
    close() {
      closed ??= db.destroy()
      return closed
    },
  }
}

/** `table`'s methods, each running `check` first, and a transient database failure coming out as database_busy whatever the dialect, so that callers handle one error. */
function guard<T extends object>(table: T, check: () => void, dialect: DialectName): T {
  const guarded: Record<string, unknown> = {}
  for (const [name, method] of Object.entries(table)) {
    guarded[name] = async (...args: unknown[]) => {
      check()
      try {
        return await (method as (...a: unknown[]) => Promise<unknown>)(...args)
      } catch (error) {
        throw asDatabaseBusy(error, dialect)
      }
    }
  }
  return guarded as T
}
