import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TaskyardError } from '../../src/domain/errors.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newUser, userFrom } from './auth-fixtures.ts'
import { openTestStore, T0 } from './store-fixtures.ts'

function assertUsernameTaken(username: string) {
  return (error: unknown) => {
    assert.ok(error instanceof TaskyardError)
    assert.equal(error.code, 'name_taken')
    assert.equal(error.message, 'User with this username already exists')
    assert.deepEqual(error.details, { error: `User with username '${username}' already exists` })
    return true
  }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: users`, { skip: dialect.skip }, () => {
    it('inserts a user and returns it whole without its hash, with id 1', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const input = newUser()
      const user = await store.users.insert(input)
      assert.deepEqual(user, userFrom(input, 1))
      assert.deepEqual(await store.users.findById(1), user)
    })

    it('keeps every field as given, booleans as booleans and instants as numbers', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const input = newUser({
        username: 'Bob.Smith',
        passwordHash: 'scrypt$16384$8$1$x$y',
        role: 'viewer',
        disabled: true,
        createdAt: T0 + 1,
        updatedAt: T0 + 2,
        credentialsChangedAt: 8_640_000_000_000,
      })
      const user = await store.users.insert(input)
      assert.deepEqual(user, userFrom(input, user.id))
      assert.deepEqual(await store.users.findById(user.id), userFrom(input, user.id))
    })

    it('returns the password hash from findByUsername only, matching the name exactly', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const input = newUser()
      const user = await store.users.insert(input)
      assert.deepEqual(await store.users.findByUsername('alice'), { ...user, passwordHash: input.passwordHash })
      assert.equal(await store.users.findByUsername('Alice'), undefined)
      assert.equal(await store.users.findByUsername('nobody'), undefined)
      assert.equal(await store.users.findById(999), undefined)
    })

    it('lists users by id and counts them', async (t) => {
      const { store } = await openTestStore(t, dialect)
      assert.deepEqual(await store.users.list(), [])
      assert.equal(await store.users.count(), 0)
      const b = await store.users.insert(newUser({ username: 'b' }))
      const a = await store.users.insert(newUser({ username: 'a', role: 'admin' }))
      assert.deepEqual(await store.users.list(), [b, a])
      assert.equal(await store.users.count(), 2)
    })

    it('refuses a duplicate username with name_taken and writes nothing', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const first = await store.users.insert(newUser())
      await assert.rejects(store.users.insert(newUser({ role: 'admin' })), assertUsernameTaken('alice'))
      assert.deepEqual(await store.users.list(), [first])
    })

    it('accepts one of several simultaneous inserts of the same username, refusing the rest', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => store.users.insert(newUser())))
      const inserted = results.filter((r) => r.status === 'fulfilled')
      const refused = results.filter((r) => r.status === 'rejected')
      assert.equal(inserted.length, 1)
      for (const r of refused) assertUsernameTaken('alice')(r.reason)
      assert.deepEqual(await store.users.list(), [inserted[0]!.value])
    })

    it('refuses a duplicate username inside a transaction and rolls it back', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const first = await store.users.insert(newUser())
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.users.insert(newUser({ username: 'carol' }))
          await tx.users.insert(newUser())
        }),
        assertUsernameTaken('alice'),
      )
      assert.deepEqual(await store.users.list(), [first])
    })

    it('applies a patch, password hash included, and returns the user', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const input = newUser()
      const user = await store.users.insert(input)
      const patch = {
        role: 'admin',
        disabled: true,
        updatedAt: T0 + 5,
        credentialsChangedAt: T0 + 5,
        passwordHash: 'scrypt$32768$8$1$new$new',
      } as const
      const updated = await store.users.update(user.id, patch)
      const expected = { ...user, role: 'admin', disabled: true, updatedAt: T0 + 5, credentialsChangedAt: T0 + 5 }
      assert.deepEqual(updated, expected)
      assert.deepEqual(await store.users.findByUsername('alice'), { ...expected, passwordHash: patch.passwordHash })
    })

    it('leaves what a patch does not name, and never the id or username', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const user = await store.users.insert(newUser({ disabled: true }))
      const sneaky = { disabled: false, id: 99, username: 'mallory', createdAt: 0 } as { disabled: boolean }
      assert.deepEqual(await store.users.update(user.id, sneaky), { ...user, disabled: false })
      assert.deepEqual(await store.users.update(user.id, {}), { ...user, disabled: false })
      assert.equal(await store.users.update(999, { role: 'admin' }), undefined)
      assert.equal(await store.users.update(999, {}), undefined)
    })
  })
}
