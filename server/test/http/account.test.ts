import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTestApp } from '../helpers/test-app.ts'

const UNAUTHENTICATED = { success: false, message: 'Authentication required', error: 'Please log in to perform this operation' }
const jsonPost = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

async function loginStatus(url: string, username: string, password: string): Promise<number> {
  const res = await fetch(`${url}/api/auth/login`, jsonPost({ username, password }))
  await res.arrayBuffer()
  return res.status
}

describe('POST /api/auth/password (change your own password)', () => {
  it('changes the password, renews this session and ends every other session, JWT and token', async (t) => {
    const app = await createTestApp(t)
    const op = await app.addUser('olga', 'operator')
    // A second browser of the same user, and an API token.
    const second = await fetch(`${app.url}/api/auth/login`, jsonPost({ username: 'olga', password: 'olga-password-1' }))
    const secondCookie = /session=([^;]+)/.exec(second.headers.get('set-cookie') ?? '')![1]!
    const token = (await app.jsonAs({ bearer: op.bearer }, '/api/auth/tokens', jsonPost({ name: 'ci' }))).body.token.token as string

    const res = await app.fetchAs(
      { cookie: op.cookie },
      '/api/auth/password',
      jsonPost({ current_password: 'olga-password-1', new_password: 'a-new-password-2' }),
    )
    const body = (await res.json()) as any
    assert.equal(res.status, 200)
    assert.deepEqual(
      { ...body, token: typeof body.token, user: { ...body.user, created_at: 'x', updated_at: 'x' } },
      {
        success: true,
        message: 'Password changed',
        token: 'string',
        user: { user_id: op.id, username: 'olga', role: 'operator', disabled: false, created_at: 'x', updated_at: 'x' },
      },
    )
    const renewed = /session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1]
    assert.ok(renewed && renewed !== op.cookie, 'a new session cookie is set')

    assert.equal((await app.jsonAs({ cookie: renewed }, '/api/auth/me')).status, 200, 'the renewed session works')
    assert.equal((await app.jsonAs({ bearer: body.token }, '/api/auth/me')).status, 200, 'the returned JWT works')
    for (const dead of [{ cookie: op.cookie }, { cookie: secondCookie }, { bearer: op.bearer }, { bearer: token }]) {
      assert.deepEqual(await app.jsonAs(dead, '/api/auth/me'), { status: 401, body: UNAUTHENTICATED }, JSON.stringify(dead))
    }
    assert.equal(await loginStatus(app.url, 'olga', 'olga-password-1'), 401)
    assert.equal(await loginStatus(app.url, 'olga', 'a-new-password-2'), 200)
    const audit = (await app.json('/api/audit?limit=5')).body.entries.map((e: any) => e.action)
    assert.ok(audit.includes('password.change'), JSON.stringify(audit))
  })

  it('refuses a wrong current password with a clear 400 and changes nothing', async (t) => {
    const app = await createTestApp(t)
    const op = await app.addUser('olga', 'operator')
    const res = await app.jsonAs(
      { cookie: op.cookie },
      '/api/auth/password',
      jsonPost({ current_password: 'wrong-password', new_password: 'a-new-password-2' }),
    )
    assert.deepEqual(res, { status: 400, body: { success: false, message: 'Current password is incorrect', error: 'The current password does not match' } })
    assert.equal((await app.jsonAs({ cookie: op.cookie }, '/api/auth/me')).status, 200, 'the session lives on')
    assert.equal((await app.jsonAs({ bearer: op.bearer }, '/api/auth/me')).status, 200)
    assert.equal(await loginStatus(app.url, 'olga', 'olga-password-1'), 200)
    assert.equal(await loginStatus(app.url, 'olga', 'a-new-password-2'), 401)
  })

  it('refuses a too-short or missing new password and an unauthenticated caller, changing nothing', async (t) => {
    const app = await createTestApp(t)
    const op = await app.addUser('olga', 'operator')
    const short = await app.jsonAs({ cookie: op.cookie }, '/api/auth/password', jsonPost({ current_password: 'olga-password-1', new_password: 'short' }))
    assert.equal(short.status, 400)
    assert.equal(short.body.success, false)
    assert.match(short.body.error, /at least 8/)
    const missing = await app.jsonAs({ cookie: op.cookie }, '/api/auth/password', jsonPost({ current_password: 'olga-password-1' }))
    assert.equal(missing.status, 400)
    assert.match(missing.body.error, /new_password/)
    assert.deepEqual(await app.jsonAs(null, '/api/auth/password', jsonPost({ current_password: 'x', new_password: 'y-long-enough' })), {
      status: 401,
      body: UNAUTHENTICATED,
    })
    assert.equal((await app.jsonAs({ cookie: op.cookie }, '/api/auth/me')).status, 200)
    assert.equal(await loginStatus(app.url, 'olga', 'olga-password-1'), 200)
  })
})
