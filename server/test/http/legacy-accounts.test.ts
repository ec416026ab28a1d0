import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ADMIN_PASSWORD, createTestApp } from '../helpers/test-app.ts'

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })

describe('000a account routes: /login, /logout, /create_user', () => {
  it('login sets a working session cookie, logout ends it, with 000a bodies', async (t) => {
    const app = await createTestApp(t)
    const bad = await post(`${app.url}/login`, { username: 'admin', password: 'wrong' })
    assert.equal(bad.status, 401)
    assert.deepEqual(await bad.json(), { message: 'Invalid username or password' })
    assert.equal(bad.headers.get('set-cookie'), null)

    const ok = await post(`${app.url}/login`, { username: 'admin', password: ADMIN_PASSWORD })
    assert.equal(ok.status, 200)
    assert.deepEqual(await ok.json(), { message: 'Login successful', user: { username: 'admin', is_admin: true } })
    const cookie = /session=([^;]+)/.exec(ok.headers.get('set-cookie') ?? '')?.[1]
    assert.ok(cookie)
    assert.equal((await app.jsonAs({ cookie }, '/api/auth/me')).status, 200)

    const out = await post(`${app.url}/logout`, {}, { cookie: `session=${cookie}`, origin: app.url })
    assert.equal(out.status, 200)
    assert.deepEqual(await out.json(), { message: 'Logout successful' })
    assert.match(out.headers.get('set-cookie') ?? '', /session=;/)
    assert.equal((await app.jsonAs({ cookie }, '/api/auth/me')).status, 401)
    const audit = await app.json('/api/audit?limit=3')
    assert.deepEqual(
      audit.body.entries.map((e: any) => e.action),
      ['logout', 'login', 'login.failed'],
    )
  })

  it('create_user: admins only; is_admin maps to the admin role, false to operator; a taken name is 400', async (t) => {
    const app = await createTestApp(t)
    const as = (bearer: string, body: unknown) =>
      app.jsonAs({ bearer }, '/create_user', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    assert.deepEqual(await as(app.adminToken, { username: 'ann', password: 'ann-password-1', is_admin: false }), {
      status: 201,
      body: { message: 'User created successfully', user: { username: 'ann', is_admin: false } },
    })
    assert.deepEqual(await as(app.adminToken, { username: 'boss', password: 'boss-password-1', is_admin: true }), {
      status: 201,
      body: { message: 'User created successfully', user: { username: 'boss', is_admin: true } },
    })
    const users = (await app.json('/api/users')).body.users.map((u: any) => [u.username, u.role])
    assert.deepEqual(users, [
      ['admin', 'admin'],
      ['ann', 'operator'],
      ['boss', 'admin'],
    ])
    assert.deepEqual(await as(app.adminToken, { username: 'ann', password: 'other-password-1', is_admin: true }), {
      status: 400,
      body: { message: 'User already exists' },
    })
    const ann = await post(`${app.url}/login`, { username: 'ann', password: 'ann-password-1' })
    const annCookie = /session=([^;]+)/.exec(ann.headers.get('set-cookie') ?? '')![1]!
    const refused = await app.jsonAs({ cookie: annCookie }, '/create_user', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'eve', password: 'eve-password-1', is_admin: true }),
    })
    assert.deepEqual(refused, { status: 403, body: { message: 'Unauthorized - Admin privileges required' } })
    assert.equal((await app.json('/api/users')).body.users.length, 3)
  })
})
