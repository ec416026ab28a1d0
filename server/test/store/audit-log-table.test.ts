import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { testDialects } from '../helpers/test-dialects.ts'
import { newAuditEntry } from './auth-fixtures.ts'
import { openTestStore, T0 } from './store-fixtures.ts'

for (const dialect of testDialects()) {
  describe(`${dialect.name}: audit log`, { skip: dialect.skip }, () => {
    it('inserts an entry and returns it whole, details parsed back', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const input = newAuditEntry({ details: { name: 'etl', priority: 2, nested: { ok: true }, list: [1, 'two'] } })
      const entry = await store.auditLog.insert(input)
      assert.deepEqual(entry, { id: 1, ...input })
      assert.deepEqual(await store.auditLog.list({ limit: 10 }), [entry])
    })

    it('keeps an entry with no actor, target, details or address', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const input = newAuditEntry({
        actorUserId: null,
        actorUsername: null,
        action: 'login.failed',
        targetType: null,
        targetId: null,
        details: null,
        ip: null,
      })
      assert.deepEqual(await store.auditLog.insert(input), { id: 1, ...input })
      assert.deepEqual(await store.auditLog.list({ limit: 1 }), [{ id: 1, ...input }])
    })

    it('lists newest first by id, in pages that neither skip nor repeat, even when instants tie', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const entries = []
      for (let i = 0; i < 5; i++) {
        // Two entries share each instant, and the clock steps back once.
        entries.push(await store.auditLog.insert(newAuditEntry({ at: T0 + Math.floor(i / 2) - (i === 4 ? 10 : 0), targetId: String(i) })))
      }
      const [e0, e1, e2, e3, e4] = entries
      assert.deepEqual(await store.auditLog.list({ limit: 2 }), [e4, e3])
      assert.deepEqual(await store.auditLog.list({ limit: 2, before: e3!.id }), [e2, e1])
      assert.deepEqual(await store.auditLog.list({ limit: 2, before: e1!.id }), [e0])
      assert.deepEqual(await store.auditLog.list({ limit: 2, before: e0!.id }), [])
      assert.deepEqual(await store.auditLog.list({ limit: 100 }), [e4, e3, e2, e1, e0])
    })

    it('is empty at first', async (t) => {
      const { store } = await openTestStore(t, dialect)
      assert.deepEqual(await store.auditLog.list({ limit: 10 }), [])
    })
  })
}
