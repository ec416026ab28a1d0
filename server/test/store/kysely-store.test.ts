import assert from 'node:assert/strict'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { TaskyardError } from '../../src/domain/errors.ts'
import { openStore } from '../../src/store/kysely-store.ts'
import type { StoreTables } from '../../src/store/store.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newRun, newTask, openTestStore, T0 } from './store-fixtures.ts'

for (const dialect of testDialects()) {
  describe(`${dialect.name}: store`, { skip: dialect.skip }, () => {
    it('names its dialect', async (t) => {
      const { store } = await openTestStore(t, dialect)
      assert.equal(store.dialect, dialect.name)
    })

    it('commits a transaction when fn resolves, and returns what fn returned', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const result = await store.transaction(async (tx) => {
        const task = await tx.tasks.insert(newTask())
        const run = await tx.runs.insert(newRun(task.id))
        await tx.tasks.update(task.id, { lastRunId: run.id })
        await tx.systemSamples.insert({ at: T0, memoryUsedBytes: 10, memoryTotalBytes: 20, cpuPercent: 1 })
        return { taskId: task.id, runId: run.id }
      })
      assert.deepEqual(result, { taskId: 1, runId: 1 })
      assert.equal((await store.tasks.findById(1))?.lastRunId, 1)
      assert.equal(await store.runs.countForTask(1), 1)
      assert.deepEqual(await store.systemSamples.averageMemoryInRanges([{ from: T0, to: T0 + 1 }]), [10])
    })

    it('rolls a transaction back when fn throws, leaving nothing written', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const kept = await store.tasks.insert(newTask({ name: 'kept' }))
      const boom = new Error('boom')
      await assert.rejects(
        store.transaction(async (tx) => {
          const task = await tx.tasks.insert(newTask({ name: 'doomed' }))
          await tx.runs.insert(newRun(task.id))
          await tx.tasks.update(kept.id, { status: 'paused' })
          await tx.tasks.delete(kept.id)
          await tx.systemSamples.insert({ at: T0, memoryUsedBytes: 10, memoryTotalBytes: 20, cpuPercent: 1 })
          throw boom
        }),
        (error) => error === boom,
      )
      assert.deepEqual(await store.tasks.list(), [kept])
      assert.deepEqual(await store.runs.listActive(), [])
      assert.deepEqual(await store.systemSamples.averageMemoryInRanges([{ from: T0, to: T0 + 1 }]), [null])
    })

    it('rolls back earlier writes when a store call inside the transaction refuses', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const taken = await store.tasks.insert(newTask({ name: 'taken' }))
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.tasks.insert(newTask({ name: 'fresh' }))
          await tx.tasks.insert(newTask({ name: 'taken' }))
        }),
        (error) => error instanceof TaskyardError && error.code === 'name_taken',
      )
      assert.deepEqual(await store.tasks.list(), [taken])
    })

    it('keeps a read from outside a transaction from seeing its uncommitted writes', async (t) => {
      const { store } = await openTestStore(t, dialect)
      let release!: () => void
      const released = new Promise<void>((resolve) => (release = resolve))
      let inserted!: () => void
      const didInsert = new Promise<void>((resolve) => (inserted = resolve))
      const rolledBack = assert.rejects(
        store.transaction(async (tx) => {
          await tx.tasks.insert(newTask())
          inserted()
          await released
          throw new Error('rolled back')
        }),
        /rolled back/,
      )
      await didInsert
      // SQLite: the read waits for the connection until the rollback. PostgreSQL: it runs now,
      // on another connection, and cannot see the transaction's row. Both see no task.
      const outside = store.tasks.list()
      await new Promise(setImmediate)
      release()
      assert.deepEqual(await outside, [])
      await rolledBack
      assert.deepEqual(await store.tasks.list(), [])
    })

    it('refuses the store itself inside a transaction instead of deadlocking, and rolls back', async (t) => {
      const { store } = await openTestStore(t, dialect)
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.tasks.insert(newTask())
          await store.tasks.list()
        }),
        /use the tables fn receives/,
      )
      await assert.rejects(
        store.transaction(() => store.transaction(async () => 1)),
        /use the tables fn receives/,
      )
      assert.deepEqual(await store.tasks.list(), [])
    })

    it('refuses a transaction’s tables once it has ended', async (t) => {
      const { store } = await openTestStore(t, dialect)
      let leaked: StoreTables | undefined
      await store.transaction(async (tx) => {
        leaked = tx
      })
      await assert.rejects(leaked!.tasks.list(), /after their transaction ended/)
    })

    it('reopens an existing database with its data, migrating nothing twice', async (t) => {
      const { store, databaseUrl } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask())
      const run = await store.runs.insert(newRun(task.id))
      await store.close()
      await store.close()

      const reopened = await openStore({ databaseUrl })
      t.after(() => reopened.close())
      assert.deepEqual(await reopened.tasks.list(), [task])
      assert.deepEqual(await reopened.runs.findById(run.id), run)
      const next = await reopened.tasks.insert(newTask({ name: 'second' }))
      assert.equal(next.id, task.id + 1)
      await assert.rejects(reopened.tasks.insert(newTask()), (e) => e instanceof TaskyardError && e.code === 'name_taken')

      await reopened.close()
      const again = await openStore({ databaseUrl })
      t.after(() => again.close())
      assert.deepEqual(
        (await again.tasks.list()).map((x) => x.name),
        ['nightly-report', 'second'],
      )
    })
  })
}

describe('sqlite: opening', () => {
  it('creates the database file and its missing parent directories', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-open-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const file = path.join(dir, 'a', 'b', 'taskyard.db')
    const store = await openStore({ databaseUrl: `sqlite:${file}` })
    t.after(() => store.close())
    assert.equal(store.dialect, 'sqlite')
    assert.ok((await stat(file)).isFile())
    // WAL mode leaves its -wal file beside the database.
    await store.tasks.insert(newTask())
    assert.ok((await stat(`${file}-wal`)).isFile())
  })

  it('accepts a bare path', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-open-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const store = await openStore({ databaseUrl: path.join(dir, 'taskyard.db') })
    t.after(() => store.close())
    assert.equal(store.dialect, 'sqlite')
    assert.ok((await stat(path.join(dir, 'taskyard.db'))).isFile())
  })

  it('opens an in-memory database with sqlite::memory:', async (t) => {
    const store = await openStore({ databaseUrl: 'sqlite::memory:' })
    t.after(() => store.close())
    const task = await store.tasks.insert(newTask())
    assert.deepEqual(await store.tasks.list(), [task])
  })

  it('refuses a URL of another database', async () => {
    await assert.rejects(openStore({ databaseUrl: 'mysql://localhost/taskyard' }), /Unsupported database URL/)
  })
})
