/**
 * The run path's statements are compiled once per shape and executed with new arguments
 * (store/compiled-queries.ts, issue 10). Each execution must bind its own arguments, and a
 * patch of other columns must be another statement, never the cached one with values shifted.
 */
import assert from 'node:assert/strict'
import { DatabaseSync } from 'node:sqlite'
import { describe, it } from 'node:test'
import { Kysely, sql } from 'kysely'
import { executeCompiled } from '../../src/store/compiled-queries.ts'
import { NodeSqliteDialect } from '../../src/store/sqlite.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newRun, newTask, openTestStore, T0 } from './store-fixtures.ts'

describe('executeCompiled', () => {
  it('binds each execution’s arguments into the SQL compiled at the first', async (t) => {
    const db = new Kysely<any>({ dialect: new NodeSqliteDialect(new DatabaseSync(':memory:')) })
    t.after(() => db.destroy())
    await sql`CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT, size INTEGER)`.execute(db)
    await sql`INSERT INTO things (name, size) VALUES ('a', 1), ('b', 2), ('c', 2)`.execute(db)
    const bySize = (size: number, after: number) =>
      executeCompiled(db, 'test things.bySize', [size, after], (size, after) =>
        db.selectFrom('things').select('name').where('size', '=', size).where('id', '>', after).orderBy('id'),
      )
    assert.deepEqual((await bySize(2, 0)).rows, [{ name: 'b' }, { name: 'c' }])
    assert.deepEqual((await bySize(1, 0)).rows, [{ name: 'a' }])
    assert.deepEqual((await bySize(2, 2)).rows, [{ name: 'c' }])
  })

  it('refuses a query whose text would depend on an argument rather than bind it', async (t) => {
    const db = new Kysely<any>({ dialect: new NodeSqliteDialect(new DatabaseSync(':memory:')) })
    t.after(() => db.destroy())
    await assert.rejects(
      executeCompiled(db, 'test things.unbound', [1, true], (id: number, _unused: boolean) => db.selectFrom('things').selectAll().where('id', '=', id)),
      /compiled query test things.unbound: an argument is not a bound value/,
    )
  })
})

for (const dialect of testDialects()) {
  describe(`${dialect.name}: compiled run-path statements`, { skip: dialect.skip }, () => {
    it('updates of different columns, one after the other, each write their own columns', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ status: 'running' }))
      const run = await store.runs.insert(newRun(task.id, { queuedAt: T0 }))
      await store.runs.update(run.id, { pid: 41 })
      await store.runs.update(run.id, { status: 'running', startedAt: T0 + 1 })
      const after = await store.runs.update(run.id, { pid: 42 })
      assert.deepEqual([after?.pid, after?.status, after?.startedAt], [42, 'running', T0 + 1])
      // A status-conditional update: a stale expected status changes nothing, the current one does.
      assert.equal(await store.tasks.updateIfStatus(task.id, 'paused', { status: 'stopped' }), undefined)
      assert.equal((await store.tasks.updateIfStatus(task.id, 'running', { status: 'paused' }))?.status, 'paused')
      assert.equal((await store.tasks.update(task.id, { status: 'scheduled' }))?.status, 'scheduled')
      assert.equal((await store.tasks.findById(task.id))?.status, 'scheduled')
    })
  })
}
