import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { authenticate, identify, identityHolds, type AuthenticateDeps } from '../../src/auth/authenticate.ts'
import { signAccessToken } from '../../src/auth/jwt.ts'
import { hashSessionId, newSessionId } from '../../src/auth/sessions.ts'
import { newApiToken } from '../../src/auth/tokens.ts'
import type { User } from '../../src/domain/user.ts'
import type { Store } from '../../src/store/store.ts'
import { fakeClock, insertUser, openAuthStore, T0, type FakeClock } from './auth-test-kit.ts'

const SECRET = Buffer.from('an-hmac-key-of-at-least-32-bytes-for-tests')
const DAY = 86_400_000
const JWT_TTL = 15 * 60_000

interface Setup {
  store: Store
  clock: FakeClock
  deps: AuthenticateDeps
  alice: User
}

async function setup(t: TestContext): Promise<Setup> {
  const store = await openAuthStore(t)
  const clock = fakeClock()
  const alice = await insertUser(store, 'alice')
  return { store, clock, alice, deps: { store, secret: SECRET, clock } }
}

/** A session for `userId` created at `at`, as login makes one; returns the cookie value. */
async function login(store: Store, userId: number, at: number, ttlMs = 7 * DAY): Promise<string> {
  const { id, hash } = newSessionId()
  await store.sessions.insert({ id: hash, userId, createdAt: at, expiresAt: at + ttlMs, lastSeenAt: at })
  return id
}

/** A login JWT as login issues it: tied (`sid`) to a session created at `at`. */
async function loginJwt(store: Store, userId: number, at: number, sessionUserId = userId): Promise<{ jwt: string; session: string }> {
  const { hash } = newSessionId()
  await store.sessions.insert({ id: hash, userId: sessionUserId, createdAt: at, expiresAt: at + 7 * DAY, lastSeenAt: at })
  return { jwt: signAccessToken(SECRET, userId, at, JWT_TTL, hash), session: hash }
}

async function apiToken(store: Store, userId: number, at: number, expiresAt: number | null = null): Promise<{ token: string; id: number }> {
  const made = newApiToken()
  const row = await store.apiTokens.insert({ userId, name: 'ci', tokenHash: made.hash, prefix: made.prefix, createdAt: at, expiresAt })
  return { token: made.token, id: row.id }
}

/** A password change as the user service will make it: new hash, credentialsChangedAt = now. */
async function changePassword(store: Store, userId: number, at: number): Promise<void> {
  await store.users.update(userId, { passwordHash: 'scrypt$32768$8$1$bmV3$bmV3', credentialsChangedAt: at, updatedAt: at })
}

describe('authenticate: session cookie', () => {
  it('returns the user of a live session, whole', async (t) => {
    const { store, deps, alice } = await setup(t)
    const cookie = await login(store, alice.id, T0)
    assert.deepEqual(await authenticate(deps, { sessionCookie: cookie }), alice)
    assert.deepEqual(await identify(deps, { sessionCookie: cookie }), { user: alice, sessionId: hashSessionId(cookie) })
  })

  it('knows no cookie it did not issue, nor the stored hash used as a cookie', async (t) => {
    const { store, deps, alice } = await setup(t)
    const { hash } = newSessionId()
    await store.sessions.insert({ id: hash, userId: alice.id, createdAt: T0, expiresAt: T0 + DAY, lastSeenAt: T0 })
    for (const cookie of [newSessionId().id, hash, '', 'null', 'x'.repeat(5000)]) {
      assert.equal(await authenticate(deps, { sessionCookie: cookie }), null, cookie.slice(0, 50))
    }
    assert.equal(await authenticate(deps, {}), null)
  })

  it('ends a session at its expiry, to the millisecond', async (t) => {
    const { store, clock, deps, alice } = await setup(t)
    const cookie = await login(store, alice.id, T0, DAY)
    clock.set(T0 + DAY - 1)
    assert.deepEqual(await authenticate(deps, { sessionCookie: cookie }), alice)
    clock.set(T0 + DAY)
    assert.equal(await authenticate(deps, { sessionCookie: cookie }), null)
  })

  it('refuses the session of a disabled user', async (t) => {
    const { store, deps, alice } = await setup(t)
    const cookie = await login(store, alice.id, T0)
    await store.users.update(alice.id, { disabled: true })
    assert.equal(await authenticate(deps, { sessionCookie: cookie }), null)
    await store.users.update(alice.id, { disabled: false })
    assert.deepEqual(await authenticate(deps, { sessionCookie: cookie }), alice)
  })

  it('writes last_seen_at at most once a minute', async (t) => {
    const { store, clock, deps, alice } = await setup(t)
    const cookie = await login(store, alice.id, T0)
    const hash = hashSessionId(cookie)
    const lastSeen = async () => (await store.sessions.findByHash(hash))?.lastSeenAt
    clock.set(T0 + 59_999)
    await authenticate(deps, { sessionCookie: cookie })
    assert.equal(await lastSeen(), T0)
    clock.set(T0 + 60_000)
    await authenticate(deps, { sessionCookie: cookie })
    assert.equal(await lastSeen(), T0 + 60_000)
    clock.set(T0 + 90_000)
    await authenticate(deps, { sessionCookie: cookie })
    assert.equal(await lastSeen(), T0 + 60_000)
    // A refused session is not touched.
    await store.users.update(alice.id, { disabled: true })
    clock.set(T0 + 10 * 60_000)
    await authenticate(deps, { sessionCookie: cookie })
    assert.equal(await lastSeen(), T0 + 60_000)
  })
})

describe('authenticate: bearer JWT', () => {
  it('returns the user named by a valid token, with the session it belongs to', async (t) => {
    const { store, deps, alice } = await setup(t)
    const { jwt, session } = await loginJwt(store, alice.id, T0)
    assert.deepEqual(await authenticate(deps, { bearer: jwt }), alice)
    assert.deepEqual(await identify(deps, { bearer: jwt }), { user: alice, sessionId: session })
  })

  it('dies with its session: deleted (logout), expired, or another user’s', async (t) => {
    const { store, clock, deps, alice } = await setup(t)
    const bob = await insertUser(store, 'bob')
    const ended = await loginJwt(store, alice.id, T0)
    const kept = await loginJwt(store, alice.id, T0)
    assert.equal(await store.sessions.delete(ended.session), true)
    assert.equal(await authenticate(deps, { bearer: ended.jwt }), null)
    assert.deepEqual(await authenticate(deps, { bearer: kept.jwt }), alice, 'another login of the same user lives on')
    const foreign = await loginJwt(store, alice.id, T0, bob.id)
    assert.equal(await authenticate(deps, { bearer: foreign.jwt }), null)
    const short = newSessionId()
    await store.sessions.insert({ id: short.hash, userId: alice.id, createdAt: T0, expiresAt: T0 + 1000, lastSeenAt: T0 })
    const shortJwt = signAccessToken(SECRET, alice.id, T0, JWT_TTL, short.hash)
    clock.set(T0 + 999)
    assert.deepEqual(await authenticate(deps, { bearer: shortJwt }), alice)
    clock.set(T0 + 1000)
    assert.equal(await authenticate(deps, { bearer: shortJwt }), null, 'a JWT never outlives its session')
  })

  it('refuses a JWT tied to no session, or to a malformed one', async (t) => {
    const { deps, alice } = await setup(t)
    assert.equal(await authenticate(deps, { bearer: signAccessToken(SECRET, alice.id, T0, JWT_TTL) }), null)
    assert.equal(await authenticate(deps, { bearer: signAccessToken(SECRET, alice.id, T0, JWT_TTL, 'not-a-session') }), null)
  })

  it('refuses an expired, tampered, foreign or alg:none token', async (t) => {
    const { store, clock, deps, alice } = await setup(t)
    const token = (await loginJwt(store, alice.id, T0)).jwt
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`
    const other = signAccessToken(Buffer.from('another-secret-another-secret-another'), alice.id, T0, JWT_TTL)
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: '1', iat: T0 / 1000, exp: (T0 + DAY) / 1000 })).toString('base64url')}.${signature}`
    for (const bearer of [none, other, forged, `${token}x`, 'Bearer', '']) {
      assert.equal(await authenticate(deps, { bearer }), null, bearer)
    }
    clock.set(T0 + JWT_TTL)
    assert.equal(await authenticate(deps, { bearer: token }), null)
  })

  it('refuses a token for a disabled or unknown user', async (t) => {
    const { store, deps, alice } = await setup(t)
    const { jwt, session } = await loginJwt(store, alice.id, T0)
    await store.users.update(alice.id, { disabled: true })
    assert.equal(await authenticate(deps, { bearer: jwt }), null)
    assert.equal(await authenticate(deps, { bearer: signAccessToken(SECRET, 999, T0, JWT_TTL, session) }), null)
  })
})

describe('authenticate: bearer API token', () => {
  it('returns the token’s user and writes last_used_at at most once a minute', async (t) => {
    const { store, clock, deps, alice } = await setup(t)
    const { token, id } = await apiToken(store, alice.id, T0)
    const lastUsed = async () => (await store.apiTokens.listForUser(alice.id)).find((x) => x.id === id)?.lastUsedAt
    assert.equal(await lastUsed(), null)
    clock.set(T0 + 5)
    assert.deepEqual(await identify(deps, { bearer: token }), { user: alice, sessionId: null }, 'an API token is no login')
    assert.equal(await lastUsed(), T0 + 5)
    clock.set(T0 + 60_004)
    await authenticate(deps, { bearer: token })
    assert.equal(await lastUsed(), T0 + 5)
    clock.set(T0 + 60_005)
    await authenticate(deps, { bearer: token })
    assert.equal(await lastUsed(), T0 + 60_005)
  })

  it('refuses a revoked token from the moment it is revoked', async (t) => {
    const { store, deps, alice } = await setup(t)
    const { token, id } = await apiToken(store, alice.id, T0)
    assert.deepEqual(await authenticate(deps, { bearer: token }), alice)
    assert.equal(await store.apiTokens.revoke(id, alice.id, T0), true)
    assert.equal(await authenticate(deps, { bearer: token }), null)
  })

  it('refuses an expired token, to the millisecond, and keeps one without expiry', async (t) => {
    const { store, clock, deps, alice } = await setup(t)
    const expiring = await apiToken(store, alice.id, T0, T0 + DAY)
    const forever = await apiToken(store, alice.id, T0, null)
    clock.set(T0 + DAY - 1)
    assert.deepEqual(await authenticate(deps, { bearer: expiring.token }), alice)
    clock.set(T0 + DAY)
    assert.equal(await authenticate(deps, { bearer: expiring.token }), null)
    clock.set(T0 + 1000 * DAY)
    assert.deepEqual(await authenticate(deps, { bearer: forever.token }), alice)
  })

  it('refuses an unknown token and a disabled user’s token', async (t) => {
    const { store, deps, alice } = await setup(t)
    assert.equal(await authenticate(deps, { bearer: newApiToken().token }), null)
    const { token } = await apiToken(store, alice.id, T0)
    await store.users.update(alice.id, { disabled: true })
    assert.equal(await authenticate(deps, { bearer: token }), null)
  })
})

describe('authenticate: a password change', () => {
  it('ends every session, JWT and API token issued before it, and only those', async (t) => {
    const { store, clock, deps, alice } = await setup(t)
    const bob = await insertUser(store, 'bob')
    const oldCookie = await login(store, alice.id, T0)
    const oldJwt = (await loginJwt(store, alice.id, T0 + 500)).jwt
    const oldToken = await apiToken(store, alice.id, T0)
    const bobCookie = await login(store, bob.id, T0)

    const changedAt = T0 + 1000
    clock.set(changedAt)
    await changePassword(store, alice.id, changedAt)
    const changed = await store.users.findById(alice.id)

    assert.equal(await authenticate(deps, { sessionCookie: oldCookie }), null)
    assert.equal(await authenticate(deps, { bearer: oldJwt }), null)
    assert.equal(await authenticate(deps, { bearer: oldToken.token }), null)
    assert.deepEqual(await authenticate(deps, { sessionCookie: bobCookie }), bob)

    // What is issued at the very instant of the change, or later, works: the login that goes with it.
    const newCookie = await login(store, alice.id, changedAt)
    const newJwt = (await loginJwt(store, alice.id, changedAt)).jwt
    const newToken = await apiToken(store, alice.id, changedAt + 1)
    clock.set(changedAt + 2)
    assert.deepEqual(await authenticate(deps, { sessionCookie: newCookie }), changed)
    assert.deepEqual(await authenticate(deps, { bearer: newJwt }), changed)
    assert.deepEqual(await authenticate(deps, { bearer: newToken.token }), changed)
  })

  it('tells apart a JWT issued one millisecond before the change from one issued at it', async (t) => {
    const { store, clock, deps, alice } = await setup(t)
    const changedAt = T0 + 123_456
    clock.set(changedAt)
    await changePassword(store, alice.id, changedAt)
    const { session } = await loginJwt(store, alice.id, changedAt)
    assert.equal(await authenticate(deps, { bearer: signAccessToken(SECRET, alice.id, changedAt - 1, JWT_TTL, session) }), null)
    assert.equal((await authenticate(deps, { bearer: signAccessToken(SECRET, alice.id, changedAt, JWT_TTL, session) }))?.id, alice.id)
  })
})

describe('authenticate: which credential decides', () => {
  it('lets a bearer credential decide alone when both are sent', async (t) => {
    const { store, deps, alice } = await setup(t)
    const bob = await insertUser(store, 'bob')
    const aliceCookie = await login(store, alice.id, T0)
    // A valid cookie does not rescue a bad bearer.
    assert.equal(await authenticate(deps, { sessionCookie: aliceCookie, bearer: 'not-a-token' }), null)
    assert.deepEqual(await authenticate(deps, { sessionCookie: aliceCookie, bearer: (await loginJwt(store, bob.id, T0)).jwt }), bob)
  })
})

describe('identityHolds: an identity checked again later (long-lived streams)', () => {
  it('holds until its session ends, its user is disabled or its credentials change', async (t) => {
    const { store, deps, alice } = await setup(t)
    const { jwt, session } = await loginJwt(store, alice.id, T0)
    const identity = (await identify(deps, { bearer: jwt }))!
    const { token } = await apiToken(store, alice.id, T0)
    const byToken = (await identify(deps, { bearer: token }))!
    assert.equal(await identityHolds(deps, identity), true)
    await store.sessions.delete(session)
    assert.equal(await identityHolds(deps, identity), false, 'logout')
    assert.equal(await identityHolds(deps, byToken), true, 'an API token has no session to lose')
    await store.users.update(alice.id, { disabled: true })
    assert.equal(await identityHolds(deps, byToken), false, 'disabled')
    await store.users.update(alice.id, { disabled: false })
    assert.equal(await identityHolds(deps, byToken), true)
    await changePassword(store, alice.id, T0 + 1)
    assert.equal(await identityHolds(deps, byToken), false, 'password changed')
  })
})
