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
  /** A reason to skip this dialect's tests, or false; pass it to describe's `skip`. */
  skip: string | false
  open(): Promise<OpenedTestStore>
}

const PG_URL_VARIABLE = 'TASKYARD_TEST_PG_URL'

export function testDialects(): TestDialect[] {
  const pgUrl = process.env[PG_URL_VARIABLE]
  return [
    { name: 'sqlite', skip: false, open: openSqliteTestStore },
    {
      name: 'postgres',
      skip: pgUrl ? false : `${PG_URL_VARIABLE} not set: PostgreSQL tests skipped`,
      open: async () => {
        if (!pgUrl) throw new Error(`${PG_URL_VARIABLE} not set`)
        return openPostgresTestStore(pgUrl)
      },
    },
  ]
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
  const dropDatabase = () =>
    withPgClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
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
