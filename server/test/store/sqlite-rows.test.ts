/**
 * The SQLite driver builds result rows from arrays with one builder per prepared statement
 * (store/sqlite-rows.ts), made once, not checked against the statement's columns on every
 * execution (issue 10). A cached `SELECT *` must still answer with the columns the table has now
 * after a schema change through the same connection: one more column, or one renamed.
 */
import assert from 'node:assert/strict'
import { DatabaseSync } from 'node:sqlite'
import { describe, it } from 'node:test'
import { Kysely, sql } from 'kysely'
import { NodeSqliteDialect } from '../../src/store/sqlite.ts'

function open(t: { after(fn: () => Promise<void>): void }): Kysely<any> {
  const db = new Kysely<any>({ dialect: new NodeSqliteDialect(new DatabaseSync(':memory:')) })
  t.after(() => db.destroy())
  return db
}

describe('SQLite result rows', () => {
  it('follow a cached SELECT * through an added and a renamed column', async (t) => {
    const db = open(t)
    await sql`CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)`.execute(db)
    await sql`INSERT INTO things (name) VALUES ('a')`.execute(db)
    const all = () => db.selectFrom('things').selectAll().execute()
    assert.deepEqual(await all(), [{ id: 1, name: 'a' }])
    assert.deepEqual(await all(), [{ id: 1, name: 'a' }])

    await sql`ALTER TABLE things ADD COLUMN size INTEGER`.execute(db)
    assert.deepEqual(await all(), [{ id: 1, name: 'a', size: null }])

    await sql`ALTER TABLE things RENAME COLUMN name TO label`.execute(db)
    assert.deepEqual(await all(), [{ id: 1, label: 'a', size: null }])
  })

  it('answer an empty result, then rows, from the same statement', async (t) => {
    const db = open(t)
    await sql`CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)`.execute(db)
    const byName = (name: string) => db.selectFrom('things').selectAll().where('name', '=', name).execute()
    assert.deepEqual(await byName('a'), [])
    await sql`INSERT INTO things (name) VALUES ('a')`.execute(db)
    assert.deepEqual(await byName('a'), [{ id: 1, name: 'a' }])
  })
})
