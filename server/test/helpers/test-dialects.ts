/**
 * The databases every store test runs on: SQLite always, PostgreSQL when TASKYARD_TEST_PG_URL
 * names a server whose user may create databases. Each open() gets a database of its own.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { openStore } from '../../src/store/kysely-store.ts'
import type { DialectName, Store } from '../../src/store/store.ts'

export interface OpenedTestStore {
  store: Store
  /** Opens the same database again, e.g. to test a restart. */
  databaseUrl: string
  /** Closes `store` and deletes the database. */
  cleanup(): Promise<void>
}

export interface TestDialect {
  name: DialectName
  /** Always false: a dialect that cannot run is not listed (kept for `describe(…, { skip })`). */
  skip: string | false
  open(): Promise<OpenedTestStore>
}

export const PG_URL_VARIABLE = 'TASKYARD_TEST_PG_URL'

/** The one line the test summary shows when the PostgreSQL half does not run. */
export const PG_SKIPPED_NOTICE = `PostgreSQL: skipped — set ${PG_URL_VARIABLE}=postgres://postgres@127.0.0.1:5432/postgres to run these`

/** The PostgreSQL URL tests run against, or null when the PostgreSQL half is skipped. */
export function testPgUrl(): string | null {
  return process.env[PG_URL_VARIABLE] || null
}

/**
 * SQLite always; PostgreSQL only when TASKYARD_TEST_PG_URL is set. Without it the PostgreSQL
 * suites are not registered at all, so dozens of files do not each report a skipped suite;
 * server/test/store/dialects.test.ts reports the skip once, on one visible line.
 */
export function testDialects(): TestDialect[] {
  const pgUrl = testPgUrl()
  const dialects: TestDialect[] = [{ name: 'sqlite', skip: false, open: openSqliteTestStore }]
  if (pgUrl) dialects.push({ name: 'postgres', skip: false, open: () => openPostgresTestStore(pgUrl) })
  return dialects
}

async function openSqliteTestStore(): Promise<OpenedTestStore> {
  const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-store-'))
  const databaseUrl = `sqlite:${path.join(dir, 'taskyard.db')}`
  const store = await openStore({ databaseUrl })
  return {
    store,
    databaseUrl,
    async cleanup() {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function openPostgresTestStore(adminUrl: string): Promise<OpenedTestStore> {
  // Letters and digits only, so the name needs no quoting rules beyond the double quotes.
  const name = `taskyard_test_${randomBytes(6).toString('hex')}`
  await withPgClient(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`))
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const databaseUrl = url.toString()
  const dropDatabase = () => withPgClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
  let store: Store
  try {
    store = await openStore({ databaseUrl })
  } catch (error) {
    await dropDatabase()
    throw error
  }
  return {
    store,
    databaseUrl,
    async cleanup() {
      await store.close()
      await dropDatabase()
    },
  }
}

/** One short-lived connection, for CREATE/DROP DATABASE (the bench uses it too). */
export async function withPgClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}
