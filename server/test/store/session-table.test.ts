import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { testDialects } from '../helpers/test-dialects.ts'
import { insertUser, newSession } from './auth-fixtures.ts'
import { openTestStore, T0 } from './store-fixtures.ts'

const HASH_A = 'a'.repeat(64)
const HASH_B = 'b'.repeat(64)
const HASH_C = 'c'.repeat(64)

for (const dialect of testDialects()) {
  describe(`${dialect.name}: sessions`, { skip: dialect.skip }, () => {
    it('inserts a session and finds it by its hash, whole', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const user = await insertUser(store)
      const input = newSession(user.id, { id: HASH_A, createdAt: T0 + 1, expiresAt: T0 + 2, lastSeenAt: T0 + 3 })
      assert.deepEqual(await store.sessions.insert(input), input)
      assert.deepEqual(await store.sessions.findByHash(HASH_A), input)
      assert.equal(await store.sessions.findByHash(HASH_B), undefined)
    })

    it('refuses a session for a user that does not exist', async (t) => {
      const { store } = await openTestStore(t, dialect)
      await assert.rejects(store.sessions.insert(newSession(42)))
      assert.equal(await store.sessions.findByHash(HASH_A), undefined)
    })

    it('touches last_seen_at only', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const user = await insertUser(store)
      const input = await store.sessions.insert(newSession(user.id))
      await store.sessions.touch(HASH_A, T0 + 60_000)
      await store.sessions.touch(HASH_B, T0 + 60_000)
      assert.deepEqual(await store.sessions.findByHash(HASH_A), { ...input, lastSeenAt: T0 + 60_000 })
    })

    it('deletes one session, saying whether it existed', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const user = await insertUser(store)
      await store.sessions.insert(newSession(user.id, { id: HASH_A }))
      const kept = await store.sessions.insert(newSession(user.id, { id: HASH_B }))
      assert.equal(await store.sessions.delete(HASH_A), true)
      assert.equal(await store.sessions.delete(HASH_A), false)
      assert.equal(await store.sessions.findByHash(HASH_A), undefined)
      assert.deepEqual(await store.sessions.findByHash(HASH_B), kept)
    })

    it('ends every session of one user and no other', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const alice = await insertUser(store, { username: 'alice' })
      const bob = await insertUser(store, { username: 'bob' })
      await store.sessions.insert(newSession(alice.id, { id: HASH_A }))
      await store.sessions.insert(newSession(alice.id, { id: HASH_B }))
      const bobs = await store.sessions.insert(newSession(bob.id, { id: HASH_C }))
      assert.equal(await store.sessions.deleteForUser(alice.id), 2)
      assert.equal(await store.sessions.deleteForUser(alice.id), 0)
      assert.equal(await store.sessions.findByHash(HASH_A), undefined)
      assert.equal(await store.sessions.findByHash(HASH_B), undefined)
      assert.deepEqual(await store.sessions.findByHash(HASH_C), bobs)
    })

    it('deletes sessions expired at or before now, keeping later ones', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const user = await insertUser(store)
      await store.sessions.insert(newSession(user.id, { id: HASH_A, expiresAt: T0 - 1 }))
      await store.sessions.insert(newSession(user.id, { id: HASH_B, expiresAt: T0 }))
      const live = await store.sessions.insert(newSession(user.id, { id: HASH_C, expiresAt: T0 + 1 }))
      assert.equal(await store.sessions.deleteExpired(T0), 2)
      assert.equal(await store.sessions.findByHash(HASH_A), undefined)
      assert.equal(await store.sessions.findByHash(HASH_B), undefined)
      assert.deepEqual(await store.sessions.findByHash(HASH_C), live)
    })

    it('works inside a transaction and rolls back with it', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const user = await insertUser(store)
      const old = await store.sessions.insert(newSession(user.id, { id: HASH_A }))
      await assert.rejects(
        store.transaction(async (tx) => {
          // Login rotates the session: the old one goes, a new one comes, or neither.
          await tx.sessions.delete(HASH_A)
          await tx.sessions.insert(newSession(user.id, { id: HASH_B }))
          await tx.auditLog.insert({
            at: T0,
            actorUserId: user.id,
            actorUsername: 'alice',
            action: 'login',
            targetType: null,
            targetId: null,
            details: null,
            ip: null,
          })
          throw new Error('rolled back')
        }),
        /rolled back/,
      )
      assert.deepEqual(await store.sessions.findByHash(HASH_A), old)
      assert.equal(await store.sessions.findByHash(HASH_B), undefined)
      assert.deepEqual(await store.auditLog.list({ limit: 10 }), [])
    })
  })
}
