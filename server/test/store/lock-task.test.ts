import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { testDialects } from '../helpers/test-dialects.ts'
import { newRun, newTask, openTestStore } from './store-fixtures.ts'

for (const dialect of testDialects()) {
  describe(`${dialect.name}: tasks.lockById (issue 6: one live run under concurrency)`, { skip: dialect.skip }, () => {
    it('makes a second transaction that locks the task wait until the first has committed, and see its run', async (t) => {
      const { store, databaseUrl } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask())
      // PostgreSQL: a second store, another connection, as parallel requests of a fleet would use.
      // SQLite: one store per file serves every request; its transactions take turns.
      const { openStore } = await import('../../src/store/kysely-store.ts')
      const other = dialect.name === 'postgres' ? await openStore({ databaseUrl }) : store
      if (other !== store) t.after(() => other.close())
      const order: string[] = []
      let release!: () => void
      const gate = new Promise<void>((r) => (release = r))
      let locked!: () => void
      const firstHolds = new Promise<void>((r) => (locked = r))
      const first = store.transaction(async (tx) => {
        await tx.tasks.lockById(task.id)
        locked()
        await gate
        await tx.runs.insert(newRun(task.id))
        order.push('first commits')
      })
      await firstHolds
      const second = other.transaction(async (tx) => {
        const seen = await tx.tasks.lockById(task.id)
        order.push('second locked')
        return { seen: seen?.id, active: (await tx.runs.findActiveForTask(task.id))?.taskId }
      })
      // Give the second transaction every chance to overtake; it must not.
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
      order.push('released')
      release()
      await first
      assert.deepEqual(await second, { seen: task.id, active: task.id })
      assert.deepEqual(order, ['released', 'first commits', 'second locked'])
    })
  })
}
