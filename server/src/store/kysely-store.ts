/** The Store contract on Kysely, for SQLite and PostgreSQL alike. */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { Kysely } from 'kysely'
import type { Database } from './database.ts'
import { migrateToLatest } from './migrations/migrate-to-latest.ts'
import { openPostgres } from './postgres.ts'
import { openSqlite, sqliteFileFromUrl } from './sqlite.ts'
import type { DialectName, Store, StoreOptions, StoreTables } from './store.ts'
import { apiTokenTable } from './tables/api-token-table.ts'
import { auditLogTable } from './tables/audit-log-table.ts'
import { runTable } from './tables/run-table.ts'
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

/** Opens the database behind `options.databaseUrl` and brings its schema up to date. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const dialect = dialectOfUrl(options.databaseUrl)
  const db =
    dialect === 'postgres' ? openPostgres(options.databaseUrl) : openSqlite(sqliteFileFromUrl(options.databaseUrl))
  try {
    await migrateToLatest(db, dialect)
  } catch (error) {
    await db.destroy()
    throw error
  }
  return kyselyStore(db, dialect)
}

function tablesOn(db: Kysely<Database>, dialect: DialectName): StoreTables {
  return {
    tasks: taskTable(db, dialect),
    runs: runTable(db, dialect),
    systemSamples: systemSampleTable(db),
    users: userTable(db),
    sessions: sessionTable(db),
    apiTokens: apiTokenTable(db),
    auditLog: auditLogTable(db),
  }
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
    ...guardTables(tablesOn(db, dialect), assertOutsideTransaction),

    async transaction(fn) {
      assertOutsideTransaction()
      return db.transaction().execute(async (trx) => {
        const scope = { open: true }
        const tx = guardTables(tablesOn(trx, dialect), () => {
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
    },

    // Idempotent, so a test's cleanup may close a store the test already closed.
    close() {
      closed ??= db.destroy()
      return closed
    },
  }
}

/** The same tables, each method running `check` first. */
function guardTables(tables: StoreTables, check: () => void): StoreTables {
  return {
    tasks: guard(tables.tasks, check),
    runs: guard(tables.runs, check),
    systemSamples: guard(tables.systemSamples, check),
    users: guard(tables.users, check),
    sessions: guard(tables.sessions, check),
    apiTokens: guard(tables.apiTokens, check),
    auditLog: guard(tables.auditLog, check),
  }
}

function guard<T extends object>(table: T, check: () => void): T {
  const guarded: Record<string, unknown> = {}
  for (const [name, method] of Object.entries(table)) {
    guarded[name] = async (...args: unknown[]) => {
      check()
      return (method as (...a: unknown[]) => Promise<unknown>)(...args)
    }
  }
  return guarded as T
}
