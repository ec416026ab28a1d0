import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { testDialects } from '../helpers/test-dialects.ts'
import { apiTokenFrom, execRaw, insertUser, newApiToken, newSession } from './auth-fixtures.ts'
import { openTestStore, T0 } from './store-fixtures.ts'

const HASH_A = 'a'.repeat(64)
const HASH_B = 'b'.repeat(64)
const HASH_C = 'c'.repeat(64)

for (const dialect of testDialects()) {
  describe(`${dialect.name}: API tokens`, { skip: dialect.skip }, () => {
    it('inserts a token and returns it whole without its hash', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const user = await insertUser(store)
      const input = newApiToken(user.id, { tokenHash: HASH_A, expiresAt: T0 + 86_400_000 })
      const token = await store.apiTokens.insert(input)
      assert.deepEqual(token, apiTokenFrom(input, 1))
      assert.deepEqual(await store.apiTokens.findByHash(HASH_A), token)
      assert.equal(await store.apiTokens.findByHash(HASH_B), undefined)
    })

    it('refuses a second token with the same hash, and one for a missing user', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const user = await insertUser(store)
      const first = await store.apiTokens.insert(newApiToken(user.id, { tokenHash: HASH_A }))
      await assert.rejects(store.apiTokens.insert(newApiToken(user.id, { tokenHash: HASH_A, name: 'again' })))
      await assert.rejects(store.apiTokens.insert(newApiToken(999, { tokenHash: HASH_B })))
      assert.deepEqual(await store.apiTokens.listForUser(user.id), [first])
    })

    it('lists one user’s tokens by id, revoked ones included', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const alice = await insertUser(store, { username: 'alice' })
      const bob = await insertUser(store, { username: 'bob' })
      const a1 = await store.apiTokens.insert(newApiToken(alice.id, { tokenHash: HASH_A, name: 'ci' }))
      await store.apiTokens.insert(newApiToken(bob.id, { tokenHash: HASH_B }))
      const a2 = await store.apiTokens.insert(newApiToken(alice.id, { tokenHash: HASH_C, name: 'cron' }))
      assert.equal(await store.apiTokens.revoke(a1.id, alice.id, T0 + 5), true)
      assert.deepEqual(await store.apiTokens.listForUser(alice.id), [{ ...a1, revokedAt: T0 + 5 }, a2])
      assert.deepEqual(await store.apiTokens.listForUser(12345), [])
    })

    it('revokes only the owner’s live token, once, keeping the first instant', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const alice = await insertUser(store, { username: 'alice' })
      const bob = await insertUser(store, { username: 'bob' })
      const token = await store.apiTokens.insert(newApiToken(alice.id, { tokenHash: HASH_A }))
      assert.equal(await store.apiTokens.revoke(token.id, bob.id, T0 + 1), false)
      assert.deepEqual(await store.apiTokens.findByHash(HASH_A), token)
      assert.equal(await store.apiTokens.revoke(token.id, alice.id, T0 + 2), true)
      assert.equal(await store.apiTokens.revoke(token.id, alice.id, T0 + 3), false)
      assert.equal(await store.apiTokens.revoke(999, alice.id, T0 + 3), false)
      assert.deepEqual(await store.apiTokens.findByHash(HASH_A), { ...token, revokedAt: T0 + 2 })
    })

    it('revokes all live tokens of one user, counting them, and no other user’s', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const alice = await insertUser(store, { username: 'alice' })
      const bob = await insertUser(store, { username: 'bob' })
      const old = await store.apiTokens.insert(newApiToken(alice.id, { tokenHash: HASH_A }))
      await store.apiTokens.revoke(old.id, alice.id, T0 + 1)
      const live = await store.apiTokens.insert(newApiToken(alice.id, { tokenHash: HASH_B }))
      const bobs = await store.apiTokens.insert(newApiToken(bob.id, { tokenHash: HASH_C }))
      assert.equal(await store.apiTokens.revokeAllForUser(alice.id, T0 + 9), 1)
      assert.deepEqual(await store.apiTokens.listForUser(alice.id), [
        { ...old, revokedAt: T0 + 1 },
        { ...live, revokedAt: T0 + 9 },
      ])
      assert.deepEqual(await store.apiTokens.listForUser(bob.id), [bobs])
    })

    it('touches last_used_at only', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const user = await insertUser(store)
      const token = await store.apiTokens.insert(newApiToken(user.id))
      await store.apiTokens.touch(token.id, T0 + 60_000)
      await store.apiTokens.touch(999, T0 + 60_000)
      assert.deepEqual(await store.apiTokens.listForUser(user.id), [{ ...token, lastUsedAt: T0 + 60_000 }])
    })

    it('goes with its user when the user row is deleted, sessions too', async (t) => {
      const { store, databaseUrl } = await openTestStore(t, dialect)
      const alice = await insertUser(store, { username: 'alice' })
      const bob = await insertUser(store, { username: 'bob' })
      await store.apiTokens.insert(newApiToken(alice.id, { tokenHash: HASH_A }))
      await store.sessions.insert(newSession(alice.id, { id: HASH_A }))
      const bobs = await store.apiTokens.insert(newApiToken(bob.id, { tokenHash: HASH_B }))
      // The contract deletes no user; an operator's DELETE must still leave no orphan credentials.
      await execRaw(dialect.name, databaseUrl, `DELETE FROM users WHERE id = ${alice.id}`)
      assert.equal(await store.apiTokens.findByHash(HASH_A), undefined)
      assert.equal(await store.sessions.findByHash(HASH_A), undefined)
      assert.deepEqual(await store.apiTokens.findByHash(HASH_B), bobs)
    })
  })
}
