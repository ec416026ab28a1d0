import assert from 'node:assert/strict'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, it } from 'node:test'
import { ensureAdmin } from '../../src/auth/bootstrap-admin.ts'
import { verifyPassword } from '../../src/auth/passwords.ts'
import type { Store } from '../../src/store/store.ts'
import { fakeClock, insertUser, openAuthStore, T0, tempDir } from './auth-test-kit.ts'

async function adminPasswordHash(store: Store): Promise<string> {
  const admin = await store.users.findByUsername('admin')
  assert.ok(admin)
  return admin.passwordHash
}

describe('ensureAdmin: the first user', () => {
  it('creates admin with a generated password, printed once and kept in a 0600 file', async (t) => {
    const store = await openAuthStore(t)
    const dataDir = path.join(await tempDir(t), 'data')
    const logged: string[] = []
    const result = await ensureAdmin(store, { dataDir, configuredPassword: null, clock: fakeClock(), log: (m) => logged.push(m) })

    const file = path.join(dataDir, 'admin-password.txt')
    assert.deepEqual(result, { created: true, userId: 1, password: 'generated', passwordFile: file })
    const content = await readFile(file, 'utf8')
    assert.match(content, /^[0-9A-Za-z]{20}\n$/)
    const password = content.trim()
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    assert.deepEqual(await readdir(dataDir), ['admin-password.txt'])

    assert.deepEqual(logged, [
      `Created user 'admin' with the generated password: ${password}\n` +
        `It is shown only this once and kept in ${file} (readable by this user only). ` +
        `Change it after logging in, then delete that file.`,
    ])
    assert.deepEqual(await store.users.list(), [
      { id: 1, username: 'admin', role: 'admin', disabled: false, createdAt: T0, updatedAt: T0, credentialsChangedAt: T0 },
    ])
    assert.equal(await verifyPassword(password, await adminPasswordHash(store)), true)
    assert.deepEqual(await store.auditLog.list({ limit: 10 }), [
      {
        id: 1,
        at: T0,
        actorUserId: null,
        actorUsername: null,
        action: 'user.create',
        targetType: 'user',
        targetId: '1',
        details: { username: 'admin', role: 'admin', reason: 'first start' },
        ip: null,
      },
    ])
  })

  it('uses the configured password, printing it nowhere and writing no file', async (t) => {
    const store = await openAuthStore(t)
    const dataDir = await tempDir(t)
    const logged: string[] = []
    const result = await ensureAdmin(store, {
      dataDir,
      configuredPassword: 'configured-Pa55word',
      clock: fakeClock(),
      log: (m) => logged.push(m),
    })
    assert.deepEqual(result, { created: true, userId: 1, password: 'configured' })
    assert.deepEqual(logged, ["Created user 'admin' with the configured password (TASKYARD_ADMIN_PASSWORD)."])
    assert.deepEqual(await readdir(dataDir), [])
    assert.equal(await verifyPassword('configured-Pa55word', await adminPasswordHash(store)), true)
  })

  it('does nothing at the next start, even with a password configured since', async (t) => {
    const store = await openAuthStore(t)
    const dataDir = await tempDir(t)
    const first = await ensureAdmin(store, { dataDir, configuredPassword: null, clock: fakeClock(), log: () => {} })
    assert.equal(first.created, true)
    const file = await readFile(path.join(dataDir, 'admin-password.txt'), 'utf8')
    const hash = await adminPasswordHash(store)

    const logged: string[] = []
    const again = await ensureAdmin(store, { dataDir, configuredPassword: 'another-password', clock: fakeClock(T0 + 1), log: (m) => logged.push(m) })
    assert.deepEqual(again, { created: false })
    assert.deepEqual(logged, [])
    assert.equal(await readFile(path.join(dataDir, 'admin-password.txt'), 'utf8'), file)
    assert.equal(await adminPasswordHash(store), hash)
    assert.equal(await store.users.count(), 1)
  })

  it('does nothing when users exist, even if none is called admin', async (t) => {
    const store = await openAuthStore(t)
    const dataDir = await tempDir(t)
    await insertUser(store, 'root', 'admin')
    assert.deepEqual(await ensureAdmin(store, { dataDir, configuredPassword: null, clock: fakeClock(), log: assert.fail }), { created: false })
    assert.equal(await store.users.findByUsername('admin'), undefined)
    assert.deepEqual(await readdir(dataDir), [])
  })

  it('refuses a configured password that is too short, creating nothing', async (t) => {
    const store = await openAuthStore(t)
    const dataDir = await tempDir(t)
    for (const configuredPassword of ['', 'admin', '1234567']) {
      await assert.rejects(ensureAdmin(store, { dataDir, configuredPassword, clock: fakeClock(), log: assert.fail }), {
        message: 'The configured admin password (TASKYARD_ADMIN_PASSWORD) is not acceptable: Password must be at least 8 characters',
      })
    }
    assert.equal(await store.users.count(), 0)
    assert.deepEqual(await store.auditLog.list({ limit: 10 }), [])
  })

  it('creates one admin when several processes start at once, and the file holds its password', async (t) => {
    const store = await openAuthStore(t)
    const dataDir = await tempDir(t)
    const logged: string[] = []
    const results = await Promise.all(
      Array.from({ length: 4 }, () => ensureAdmin(store, { dataDir, configuredPassword: null, clock: fakeClock(), log: (m) => logged.push(m) })),
    )
    assert.equal(results.filter((r) => r.created).length, 1)
    assert.equal(logged.length, 1)
    assert.equal(await store.users.count(), 1)
    assert.deepEqual(await readdir(dataDir), ['admin-password.txt'])
    const password = (await readFile(path.join(dataDir, 'admin-password.txt'), 'utf8')).trim()
    assert.equal(await verifyPassword(password, await adminPasswordHash(store)), true)
    assert.ok(logged[0]!.includes(password))
  })

  it('replaces a password file left from an earlier database', async (t) => {
    const store = await openAuthStore(t)
    const dataDir = await tempDir(t)
    await writeFile(path.join(dataDir, 'admin-password.txt'), 'stale-password\n', { mode: 0o644 })
    await ensureAdmin(store, { dataDir, configuredPassword: null, clock: fakeClock(), log: () => {} })
    const file = path.join(dataDir, 'admin-password.txt')
    const password = (await readFile(file, 'utf8')).trim()
    assert.notEqual(password, 'stale-password')
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    assert.equal(await verifyPassword(password, await adminPasswordHash(store)), true)
  })
})
