import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { describe, it } from 'node:test'
import { signAccessToken } from '../../src/auth/jwt.ts'
import { createTestApp, type Credential, type TestApp } from '../helpers/test-app.ts'
import { readSse } from '../helpers/sse-client.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const UNAUTHENTICATED = { success: false, message: 'Authentication required', error: 'Please log in to perform this operation' }
const forbidden = (what: string) => ({ success: false, message: 'Unauthorized - Insufficient privileges', error: `You do not have permission to ${what}` })

/** A multipart body with a small script and the given fields. */
function form(fields: Record<string, string>): FormData {
  const f = new FormData()
  f.set('script_file', new Blob(['print(1)\n']), 'job.py')
  for (const [k, v] of Object.entries(fields)) f.set(k, v)
  return f
}

async function createAs(app: TestApp, who: Credential, name: string, fields: Record<string, string> = {}): Promise<number> {
  const res = await app.jsonAs(who, '/api/tasks', {
    method: 'POST',
    body: form({ conda_env: 'base', task_name: name, cron_expression: '0 0 1 1 *', command: 'true', ...fields }),
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.task.task_id
}

interface Action {
  name: string
  /** spec 000's 403 words. */
  what: string
  request(id: number): [string, RequestInit]
  okStatus: number
}

const ACTIONS: Action[] = [
  { name: 'trigger', what: 'trigger this task', request: (id) => [`/api/tasks/${id}/trigger`, { method: 'POST' }], okStatus: 200 },
  { name: 'pause', what: 'pause this task', request: (id) => [`/api/tasks/${id}/pause`, { method: 'POST' }], okStatus: 200 },
  { name: 'stop', what: 'stop this task', request: (id) => [`/api/tasks/${id}/stop`, { method: 'POST' }], okStatus: 200 },
  { name: 'delete', what: 'delete this task', request: (id) => [`/api/tasks/${id}`, { method: 'DELETE' }], okStatus: 200 },
  {
    name: 'update',
    what: 'update this task',
    request: (id) => [`/api/tasks/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ priority: 'high' }) }],
    okStatus: 200,
  },
  {
    name: 'update-script',
    what: 'update this task',
    request: (id) => [`/api/tasks/${id}/update-script`, { method: 'POST', body: form({ force: 'true' }) }],
    okStatus: 200,
  },
]

describe('accounts, sessions, tokens and permissions (issue 3)', { timeout: 300_000 }, () => {
  it('refuses every protected route without credentials with spec 000 401 body; only /healthz and login are open', async (t) => {
    const app = await createTestApp(t)
    const id = await createAs(app, { bearer: app.adminToken }, 'x')
    const routes: [string, string][] = [
      ['GET', '/api/tasks'],
      ['GET', '/api/tasks/stats'],
      ['GET', '/api/tasks/history'],
      ['GET', `/api/tasks/${id}`],
      ['GET', `/api/tasks/${id}/executions/1/logs`],
      ['POST', '/api/tasks'],
      ['POST', `/api/tasks/${id}/trigger`],
      ['POST', `/api/tasks/${id}/stop`],
      ['POST', `/api/tasks/${id}/pause`],
      ['POST', `/api/tasks/${id}/resume`],
      ['DELETE', `/api/tasks/${id}`],
      ['PUT', `/api/tasks/${id}`],
      ['POST', `/api/tasks/${id}/update-script`],
      ['GET', '/api/openapi.json'],
      ['GET', '/api/auth/me'],
      ['GET', '/api/auth/tokens'],
      ['GET', '/api/users'],
      ['GET', '/api/audit'],
    ]
    for (const [method, url] of routes) {
      const res = await app.jsonAs(null, url, { method })
      assert.deepEqual([res.status, res.body], [401, UNAUTHENTICATED], `${method} ${url}`)
    }
    assert.deepEqual(await app.jsonAs(null, '/healthz'), { status: 200, body: { status: 'ok' } })
    assert.equal((await app.store.tasks.findById(id))?.status, 'scheduled')
  })

  it('refuses an anonymous upload before reading it: nothing is stored', async (t) => {
    const app = await createTestApp(t)
    const res = await app.jsonAs(null, '/api/tasks', { method: 'POST', body: form({ conda_env: 'base' }) })
    assert.deepEqual([res.status, res.body], [401, UNAUTHENTICATED])
    assert.deepEqual(readdirSync(`${app.dataDir}/uploads`), [])
    assert.deepEqual(await app.store.tasks.list(), [])
  })

  it('each task action × viewer / operator-not-owner / owner (bearer and cookie) / admin', async (t) => {
    const app = await createTestApp(t)
    const owner = await app.addUser('owner', 'operator')
    const other = await app.addUser('other', 'operator')
    const viewer = await app.addUser('viewer', 'viewer')
    const principals: [string, Credential, boolean][] = [
      ['viewer', { bearer: viewer.bearer }, false],
      ['operator, not the owner', { bearer: other.bearer }, false],
      ['owner by bearer', { bearer: owner.bearer }, true],
      ['owner by cookie', { cookie: owner.cookie }, true],
      ['admin', { bearer: app.adminToken }, true],
    ]
    let n = 0
    for (const action of ACTIONS) {
      for (const [who, credential, allowed] of principals) {
        const id = await createAs(app, { bearer: owner.bearer }, `task-${n++}`)
        const before = await app.store.tasks.findById(id)
        const res = await app.jsonAs(credential, ...action.request(id))
        if (allowed) {
          assert.equal(res.status, action.okStatus, `${action.name} as ${who}: ${JSON.stringify(res.body)}`)
        } else {
          assert.deepEqual([res.status, res.body], [403, forbidden(action.what)], `${action.name} as ${who}`)
          assert.deepEqual(await app.store.tasks.findById(id), before, `${action.name} as ${who} changed nothing`)
        }
      }
    }
    // resume needs a paused task
    for (const [who, credential, allowed] of principals) {
      const id = await createAs(app, { bearer: owner.bearer }, `paused-${n++}`)
      await app.jsonAs({ bearer: owner.bearer }, `/api/tasks/${id}/pause`, { method: 'POST' })
      const res = await app.jsonAs(credential, `/api/tasks/${id}/resume`, { method: 'POST' })
      if (allowed) assert.equal(res.status, 200, `resume as ${who}`)
      else assert.deepEqual([res.status, res.body], [403, forbidden('resume this task')], `resume as ${who}`)
    }
    // Every role reads every task; a viewer cannot create one.
    const id = await createAs(app, { bearer: owner.bearer }, 'readable')
    await app.jsonAs({ bearer: owner.bearer }, `/api/tasks/${id}/trigger`, { method: 'POST' })
    const { runId } = await app.runningRun(id)
    await app.runFinished(runId)
    const reads = [
      `/api/tasks/${id}`,
      '/api/tasks',
      '/api/tasks?type=history',
      '/api/tasks/stats',
      '/api/tasks/history',
      `/api/tasks/${id}/executions/${runId}/logs`,
      `/api/tasks/${id}/executions/${runId}/logs?stream=true`,
    ]
    for (const [who, credential] of principals) {
      for (const url of reads) assert.equal((await app.jsonAs(credential, url)).status, 200, `GET ${url} as ${who}`)
    }
    const created = await app.jsonAs({ bearer: viewer.bearer }, '/api/tasks', { method: 'POST', body: form({ conda_env: 'base', task_name: 'v' }) })
    assert.deepEqual([created.status, created.body], [403, forbidden('create tasks')])
    assert.deepEqual(readdirSync(`${app.dataDir}/uploads`), [])
    // A 404 stays a 404 for everyone: existence is checked before ownership.
    assert.deepEqual(await app.jsonAs({ bearer: other.bearer }, '/api/tasks/99999/stop', { method: 'POST' }), {
      status: 404,
      body: { success: false, message: 'Task with ID 99999 not found' },
    })
  })

  it('login sets an httpOnly SameSite=Lax session cookie, returns a JWT, and rotates the session', async (t) => {
    const app = await createTestApp(t)
    const op = await app.addUser('op', 'operator')
    const again = await app.fetchAs({ cookie: op.cookie }, '/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'op', password: 'op-password-1' }),
    })
    assert.equal(again.status, 200)
    const setCookie = again.headers.get('set-cookie') ?? ''
    assert.match(setCookie, /^session=[^;]+;/)
    assert.match(setCookie, /HttpOnly/)
    assert.match(setCookie, /SameSite=Lax/)
    const body = (await again.json()) as any
    assert.deepEqual(Object.keys(body).sort(), ['success', 'token', 'user'])
    assert.equal(body.user.username, 'op')
    const newCookie = /session=([^;]+)/.exec(setCookie)![1]!
    assert.notEqual(newCookie, op.cookie)
    assert.equal((await app.jsonAs({ cookie: op.cookie }, '/api/auth/me')).status, 401, 'the old session ended')
    assert.equal((await app.jsonAs({ cookie: newCookie }, '/api/auth/me')).body.user.username, 'op')
    assert.equal((await app.jsonAs({ bearer: body.token }, '/api/auth/me')).body.user.username, 'op')
    const out = await app.jsonAs({ cookie: newCookie }, '/api/auth/logout', { method: 'POST' })
    assert.equal(out.status, 200)
    assert.equal((await app.jsonAs({ cookie: newCookie }, '/api/auth/me')).status, 401)
  })

  it('refuses expired, tampered, alg:none and revoked credentials', async (t) => {
    const app = await createTestApp(t)
    const op = await app.addUser('op', 'operator')
    const secret = app.services.auth.secret
    const [h, p, s] = op.bearer.split('.')
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString())
    // Of a live session, so only its age refuses it.
    const expired = signAccessToken(secret, op.id, Date.now() - 3_600_000, 60_000, claims.sid)
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: '1' })).toString('base64url')}.${s}`
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, sub: '1' })).toString('base64url')}.`
    for (const [what, bearer] of [
      ['expired', expired],
      ['tampered', tampered],
      ['alg none', none],
      ['garbage', 'ty_nope'],
    ] as const) {
      assert.deepEqual(await app.jsonAs({ bearer }, '/api/auth/me'), { status: 401, body: UNAUTHENTICATED }, what)
    }
    const created = await app.jsonAs({ bearer: op.bearer }, '/api/auth/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci' }),
    })
    assert.equal(created.status, 201)
    const apiToken = created.body.token.token as string
    assert.match(apiToken, /^ty_/)
    assert.equal((await app.jsonAs({ bearer: apiToken }, '/api/auth/me')).body.user.username, 'op')
    const listed = await app.jsonAs({ bearer: op.bearer }, '/api/auth/tokens')
    assert.equal(listed.body.tokens.length, 1)
    assert.ok(!JSON.stringify(listed.body).includes(apiToken), 'a listing never shows the secret')
    const otherUser = await app.addUser('other', 'operator')
    const notYours = await app.jsonAs({ bearer: otherUser.bearer }, `/api/auth/tokens/${created.body.token.token_id}`, { method: 'DELETE' })
    assert.equal(notYours.status, 404)
    const revoked = await app.jsonAs({ bearer: op.bearer }, `/api/auth/tokens/${created.body.token.token_id}`, { method: 'DELETE' })
    assert.equal(revoked.status, 200)
    assert.deepEqual(await app.jsonAs({ bearer: apiToken }, '/api/auth/me'), { status: 401, body: UNAUTHENTICATED })
  })

  it('refuses cookie-authenticated writes from another site, multipart included, and changes nothing', async (t) => {
    const app = await createTestApp(t)
    const op = await app.addUser('op', 'operator')
    const id = await createAs(app, { bearer: op.bearer }, 'mine')
    const evil = { origin: 'http://evil.example' }
    const stop = await app.jsonAs({ cookie: op.cookie }, `/api/tasks/${id}/stop`, { method: 'POST', headers: evil })
    assert.equal(stop.status, 403)
    assert.equal(stop.body.message, 'Cross-site request refused')
    const fetchSite = await app.jsonAs({ cookie: op.cookie }, `/api/tasks/${id}/stop`, { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } })
    assert.equal(fetchSite.status, 403)
    const upload = await app.jsonAs({ cookie: op.cookie }, '/api/tasks', {
      method: 'POST',
      headers: evil,
      body: form({ conda_env: 'base', task_name: 'csrf' }),
    })
    assert.equal(upload.status, 403)
    assert.equal((await app.store.tasks.findById(id))?.status, 'scheduled')
    assert.equal(await app.store.tasks.findByName('csrf'), undefined)
    assert.deepEqual(readdirSync(`${app.dataDir}/uploads`), [])
    const same = await app.jsonAs({ cookie: op.cookie }, `/api/tasks/${id}/stop`, { method: 'POST' })
    assert.equal(same.status, 200, 'the same origin passes')
  })

  it('slows login after repeated failures with one generic error for unknown users and wrong passwords', async (t) => {
    const app = await createTestApp(t)
    await app.addUser('op', 'operator')
    const attempt = (username: string, password: string) =>
      app.jsonAs(null, '/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
    const wrong = await attempt('op', 'nope-nope-nope')
    const unknown = await attempt('ghost', 'nope-nope-nope')
    assert.deepEqual(wrong, unknown)
    assert.deepEqual(wrong, { status: 401, body: { success: false, message: 'Invalid username or password', error: 'The username or password is incorrect' } })
    for (let i = 0; i < 4; i++) assert.equal((await attempt('op', 'nope-nope-nope')).status, 401)
    const slowed = await attempt('op', 'op-password-1')
    assert.equal(slowed.status, 429, 'even the right password waits once the account is being guessed')
    assert.equal(slowed.body.message, 'Too many failed login attempts')
    assert.ok(slowed.body.retry_after >= 1)
  })

  it('disabling a user ends its sessions, tokens and live log streams at once', async (t) => {
    const app = await createTestApp(t)
    const op = await app.addUser('op', 'operator')
    const res = await app.jsonAs({ bearer: op.bearer }, '/api/tasks', {
      method: 'POST',
      body: form({ conda_env: 'base', task_name: 'long', command: 'echo started; sleep 1000' }),
    })
    const taskId = res.body.task.task_id
    const { runId } = await app.runningRun(taskId)
    const token = await app.jsonAs({ bearer: op.bearer }, '/api/auth/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci' }),
    })
    const apiToken = token.body.token.token as string
    const stream = await app.fetchAs({ cookie: op.cookie }, `/api/tasks/${taskId}/executions/${runId}/logs?stream=true`)
    const frames = readSse(stream)
    assert.equal(JSON.parse((await frames.next()).value!.data).is_complete, false)
    const disabled = await app.json(`/api/users/${op.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ disabled: true }),
    })
    assert.equal(disabled.status, 200)
    assert.equal(disabled.body.user.disabled, true)
    for (;;) {
      const next = await frames.next()
      if (next.done) break
    }
    for (const credential of [{ cookie: op.cookie }, { bearer: op.bearer }, { bearer: apiToken }]) {
      assert.deepEqual(await app.jsonAs(credential, '/api/auth/me'), { status: 401, body: UNAUTHENTICATED })
    }
    const tokens = await app.store.apiTokens.listForUser(op.id)
    assert.equal(typeof tokens[0]?.revokedAt, 'number', 'the listing shows the token revoked')
    const login = await app.jsonAs(null, '/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'op', password: 'op-password-1' }),
    })
    assert.equal(login.status, 401)
    await app.json(`/api/tasks/${taskId}/stop`, { method: 'POST' })
  })

  it('a password reset ends older sessions; users and the audit log are for admins only', async (t) => {
    const app = await createTestApp(t)
    const op = await app.addUser('op', 'operator')
    for (const [method, url] of [
      ['GET', '/api/users'],
      ['POST', '/api/users'],
      ['PATCH', `/api/users/${op.id}`],
      ['GET', '/api/audit'],
    ] as const) {
      const res = await app.jsonAs({ bearer: op.bearer }, url, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'GET' ? undefined : '{}',
      })
      assert.equal(res.status, method === 'POST' ? 400 : 403, `${method} ${url}: ${JSON.stringify(res.body)}`)
    }
    const promoted = await app.json(`/api/users/${op.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'viewer' }),
    })
    assert.equal(promoted.body.user.role, 'viewer')
    assert.equal((await app.jsonAs({ bearer: op.bearer }, '/api/auth/me')).body.user.role, 'viewer', 'a role change takes effect at once')
    const reset = await app.json(`/api/users/${op.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'a-new-password-2' }),
    })
    assert.equal(reset.status, 200)
    assert.equal((await app.jsonAs({ cookie: op.cookie }, '/api/auth/me')).status, 401)
    assert.equal((await app.jsonAs({ bearer: op.bearer }, '/api/auth/me')).status, 401)
    const audit = await app.json('/api/audit?limit=50')
    const actions = audit.body.entries.map((e: { action: string }) => e.action)
    for (const a of ['login', 'user.create', 'user.update']) assert.ok(actions.includes(a), `${a} in ${actions}`)
    const update = audit.body.entries.find((e: { action: string }) => e.action === 'user.update')
    assert.deepEqual([update.username, update.target_type, update.target_id, update.details], ['admin', 'user', String(op.id), { password: 'changed' }])
  })

  it('records task actions in the audit log with who did them', async (t) => {
    const app = await createTestApp(t)
    const op = await app.addUser('op', 'operator')
    const id = await createAs(app, { bearer: op.bearer }, 'audited')
    await app.jsonAs({ bearer: op.bearer }, `/api/tasks/${id}/pause`, { method: 'POST' })
    await app.jsonAs({ bearer: op.bearer }, `/api/tasks/${id}/stop`, { method: 'POST' })
    await app.jsonAs({ bearer: op.bearer }, `/api/tasks/${id}`, { method: 'DELETE' })
    const entries = (await app.json('/api/audit')).body.entries.filter((e: { target_type: string }) => e.target_type === 'task')
    assert.deepEqual(
      entries.map((e: { action: string; username: string; target_id: string }) => [e.action, e.username, e.target_id]),
      [
        ['task.delete', 'op', String(id)],
        ['task.stop', 'op', String(id)],
        ['task.pause', 'op', String(id)],
        ['task.create', 'op', String(id)],
      ],
    )
  })
})

// Sessions live in the database: the whole logout path runs on both dialects.
for (const dialect of testDialects()) {
  describe(`${dialect.name}: logout (issue 6)`, { skip: dialect.skip, timeout: 300_000 }, () => {
    it('logout ends that login at once: its cookie, its JWT and the log streams they opened; other logins and API tokens live on', async (t) => {
      const app = await createTestApp(t, { dialect })
      const op = await app.addUser('op', 'operator')
      // A second login of the same user, elsewhere.
      const again = await app.fetchAs(null, '/api/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'op', password: 'op-password-1' }),
      })
      const second = { bearer: ((await again.json()) as { token: string }).token, cookie: /session=([^;]+)/.exec(again.headers.get('set-cookie') ?? '')![1]! }
      const token = await app.jsonAs({ bearer: op.bearer }, '/api/auth/tokens', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'ci' }),
      })
      const apiToken = token.body.token.token as string
      const res = await app.jsonAs({ bearer: op.bearer }, '/api/tasks', {
        method: 'POST',
        body: form({ conda_env: 'base', task_name: 'long', command: 'echo started; sleep 1000' }),
      })
      const taskId = res.body.task.task_id
      const { runId } = await app.runningRun(taskId)
      // Every stream is cut when the test ends, whatever happened; the run is ended by the app's close.
      const cut = new AbortController()
      t.after(() => cut.abort())
      const open = async (credential: Credential) => {
        const frames = readSse(await app.fetchAs(credential, `/api/tasks/${taskId}/executions/${runId}/logs?stream=true`, { signal: cut.signal }))
        assert.equal(JSON.parse((await frames.next()).value!.data).is_complete, false)
        let ended = false
        const end = (async () => {
          while (!(await frames.next()).done);
          ended = true
        })()
        end.catch(() => {}) // the cut at the end of the test rejects the streams still open
        return { end, ended: () => ended }
      }
      const byCookie = await open({ cookie: op.cookie })
      const byJwt = await open({ bearer: op.bearer })
      const bySecondJwt = await open({ bearer: second.bearer })
      const byToken = await open({ bearer: apiToken })

      const out = await app.jsonAs({ cookie: op.cookie }, '/api/auth/logout', { method: 'POST' })
      assert.deepEqual(out, { status: 200, body: { success: true, message: 'Logged out' } })
      await Promise.all([byCookie.end, byJwt.end])
      for (const credential of [{ cookie: op.cookie }, { bearer: op.bearer }]) {
        assert.deepEqual(await app.jsonAs(credential, '/api/auth/me'), { status: 401, body: UNAUTHENTICATED })
      }
      for (const credential of [{ cookie: second.cookie }, { bearer: second.bearer }, { bearer: apiToken }]) {
        assert.equal((await app.jsonAs(credential, '/api/auth/me')).body.user?.username, 'op')
      }
      assert.deepEqual([bySecondJwt.ended(), byToken.ended()], [false, false], 'streams of other logins and of API tokens go on')

      // A bearer logout ends its login the same way, cookie included.
      const bearerOut = await app.jsonAs({ bearer: second.bearer }, '/api/auth/logout', { method: 'POST' })
      assert.equal(bearerOut.status, 200)
      await bySecondJwt.end
      for (const credential of [{ cookie: second.cookie }, { bearer: second.bearer }]) {
        assert.deepEqual(await app.jsonAs(credential, '/api/auth/me'), { status: 401, body: UNAUTHENTICATED })
      }
      assert.equal((await app.jsonAs({ bearer: apiToken }, '/api/auth/me')).status, 200, 'an API token is no login')
      assert.equal(byToken.ended(), false)
      const audit = await app.json('/api/audit?limit=1000')
      assert.equal(audit.body.entries.filter((e: { action: string }) => e.action === 'logout').length, 2)
    })
  })
}
