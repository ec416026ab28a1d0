import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import Fastify from 'fastify'
import type { ServiceDeps } from '../../src/services/deps.ts'
import { staticUiRoutes } from '../../src/http/static-ui.ts'
import { createTestApp } from '../helpers/test-app.ts'

const INDEX = '<!doctype html><div id="root"></div><script src="/assets/index-abc123.js"></script>'

async function uiApp(t: TestContext) {
  const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-ui-'))
  await mkdir(path.join(dir, 'assets'))
  await writeFile(path.join(dir, 'index.html'), INDEX)
  await writeFile(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)')
  await writeFile(path.join(dir, 'favicon.svg'), '<svg/>')
  await writeFile(path.join(path.dirname(dir), 'taskyard-ui-secret.txt'), 'secret')
  const app = Fastify()
  // Only /api paths touch the services (authentication); these tests never reach them.
  staticUiRoutes(app, {} as ServiceDeps, dir)
  t.after(async () => {
    await app.close()
    await rm(dir, { recursive: true, force: true })
    await rm(path.join(path.dirname(dir), 'taskyard-ui-secret.txt'), { force: true })
  })
  return app
}

describe('the built web UI served at / (issue 11)', () => {
  it('serves index.html at / and for every app route, never cached', async (t) => {
    const app = await uiApp(t)
    for (const url of ['/', '/tasks', '/tasks/12?tab=log', '/login']) {
      const res = await app.inject({ method: 'GET', url })
      assert.deepEqual(
        [res.statusCode, res.headers['content-type'], res.headers['cache-control'], res.body],
        [200, 'text/html; charset=utf-8', 'no-cache', INDEX],
        url,
      )
    }
  })

  it('serves hashed assets with a year-long immutable cache, other files revalidated', async (t) => {
    const app = await uiApp(t)
    const js = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' })
    assert.deepEqual(
      [js.statusCode, js.headers['content-type'], js.headers['cache-control'], js.body],
      [200, 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable', 'console.log(1)'],
    )
    const svg = await app.inject({ method: 'GET', url: '/favicon.svg' })
    assert.deepEqual([svg.statusCode, svg.headers['content-type'], svg.headers['cache-control']], [200, 'image/svg+xml', 'no-cache'])
  })

  it('answers 404 for a missing asset rather than HTML, and never leaves the UI directory', async (t) => {
    const app = await uiApp(t)
    const missing = await app.inject({ method: 'GET', url: '/assets/gone-000.js' })
    assert.deepEqual([missing.statusCode, missing.body], [404, 'Not found'])
    for (const url of ['/../taskyard-ui-secret.txt', '/%2e%2e/taskyard-ui-secret.txt', '/assets/..%2f..%2ftaskyard-ui-secret.txt', '/%00']) {
      const res = await app.inject({ method: 'GET', url })
      assert.ok(!res.body.includes('secret'), url)
    }
  })

  it('says how to build the UI when it is not built', async (t) => {
    const app = Fastify()
    staticUiRoutes(app, {} as ServiceDeps, path.join(tmpdir(), 'taskyard-no-such-ui'))
    t.after(() => app.close())
    const res = await app.inject({ method: 'GET', url: '/' })
    assert.equal(res.statusCode, 503)
    assert.match(res.body, /npm run build/)
  })

  it('keeps /api JSON: an unknown /api path is the API 404 once authenticated, 401 before', async (t) => {
    const app = await createTestApp(t)
    assert.deepEqual(await app.json('/api/nothing/here'), {
      status: 404,
      body: { success: false, message: 'Not found', error: 'No route GET /api/nothing/here' },
    })
    assert.deepEqual(await app.jsonAs(null, '/api/nothing/here'), {
      status: 401,
      body: { success: false, message: 'Authentication required', error: 'Please log in to perform this operation' },
    })
    assert.deepEqual(await app.json('/api/tasks/1/nope', { method: 'POST' }), {
      status: 404,
      body: { success: false, message: 'Not found', error: 'No route POST /api/tasks/1/nope' },
    })
  })
})
