import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { createTestApp } from '../helpers/test-app.ts'

describe('GET /api/openapi.json', () => {
  it('describes every API route from the route schemas', async (t) => {
    const app = await createTestApp(t)
    const { status, body } = await app.json('/api/openapi.json')
    assert.equal(status, 200)
    assert.match(body.openapi, /^3\./)
    const routes = Object.entries(body.paths as Record<string, Record<string, unknown>>)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort()
    assert.deepEqual(routes, [
      'DELETE /api/auth/tokens/{token_id}',
      'DELETE /api/conda/environment/{env_name}',
      'DELETE /api/conda/environment/{env_name}/packages',
      'DELETE /api/servers/{id}',
      'DELETE /api/tasks/{task_id}',
      'GET /api/audit',
      'GET /api/auth/me',
      'GET /api/auth/tokens',
      'GET /api/conda/environment/{env_name}',
      'GET /api/conda/environment/{env_name}/build-log',
      'GET /api/conda/environment/{env_name}/export',
      'GET /api/conda/environments',
      'GET /api/conda/stats',
      'GET /api/executions/{execution_id}',
      'GET /api/executions/{execution_id}/artifacts',
      'GET /api/executions/{execution_id}/artifacts/{name}',
      'GET /api/queue',
      'GET /api/schedules',
      'GET /api/schedules/{task_id}',
      'GET /api/schedules/{task_id}/history',
      'GET /api/servers',
      'GET /api/servers/{id}',
      'GET /api/settings',
      'GET /api/system',
      'GET /api/system/processes',
      'GET /api/task/{id}/log',
      'GET /api/tasks',
      'GET /api/tasks/history',
      'GET /api/tasks/stats',
      'GET /api/tasks/status',
      'GET /api/tasks/{task_id}',
      'GET /api/tasks/{task_id}/executions',
      'GET /api/tasks/{task_id}/executions/{execution_id}/logs',
      'GET /api/tasks/{task_id}/files',
      'GET /api/tasks/{task_id}/files/content',
      'GET /api/users',
      'PATCH /api/users/{user_id}',
      'POST /api/auth/login',
      'POST /api/auth/logout',
      'POST /api/auth/password',
      'POST /api/auth/tokens',
      'POST /api/conda/environment',
      'POST /api/conda/environment/{env_name}/packages',
      'POST /api/executions/retry',
      'POST /api/executions/{execution_id}/cancel',
      'POST /api/executions/{execution_id}/input',
      'POST /api/executions/{execution_id}/retry',
      'POST /api/servers',
      'POST /api/servers/{id}/host-key',
      'POST /api/servers/{id}/test',
      'POST /api/tasks',
      'POST /api/tasks/cancel-all',
      'POST /api/tasks/cancel-by-type',
      'POST /api/tasks/{task_id}/pause',
      'POST /api/tasks/{task_id}/priority',
      'POST /api/tasks/{task_id}/resume',
      'POST /api/tasks/{task_id}/retry',
      'POST /api/tasks/{task_id}/stop',
      'POST /api/tasks/{task_id}/trigger',
      'POST /api/tasks/{task_id}/update-script',
      'POST /api/users',
      'POST /create_user',
      'POST /login',
      'POST /logout',
      'PUT /api/conda/environment/{env_name}',
      'PUT /api/schedules/{task_id}',
      'PUT /api/servers/{id}',
      'PUT /api/settings',
      'PUT /api/tasks/{task_id}',
    ])
  })

  it('matches the committed openapi.json, the only view of the server the web UI gets (UPDATE_OPENAPI=1 rewrites it)', async (t) => {
    const app = await createTestApp(t)
    const served = `${JSON.stringify((await app.json('/api/openapi.json')).body, null, 2)}\n`
    const file = new URL('../../../openapi.json', import.meta.url)
    if (process.env.UPDATE_OPENAPI === '1') writeFileSync(file, served)
    assert.equal(served, readFileSync(file, 'utf8'), 'openapi.json is stale: run UPDATE_OPENAPI=1 npm run test:server')
  })

  it('answers unknown routes and malformed JSON with a clear 4xx body', async (t) => {
    const app = await createTestApp(t)
    assert.deepEqual(await app.json('/api/nothing'), { status: 404, body: { success: false, message: 'Not found', error: 'No route GET /api/nothing' } })
    const created = await app.createTask({ conda_env: 'base', task_name: 'one', cron_expression: '0 0 1 1 *' })
    const before = await app.store.tasks.findById(created.body.task.task_id)
    const bad = await app.json(`/api/tasks/${created.body.task.task_id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{not json' })
    // Clear: it says the body is not JSON, on a task that exists, and the task is left alone.
    assert.deepEqual(bad, {
      status: 400,
      body: { success: false, message: 'Invalid request', error: "Body is not valid JSON but content-type is set to 'application/json'" },
    })
    assert.deepEqual(await app.store.tasks.findById(created.body.task.task_id), before)
    // A JSON body is spec 001's shell task (issue 12): an empty one is told the first field it lacks.
    const emptyJson = await app.json('/api/tasks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    assert.deepEqual(emptyJson, { status: 400, body: { success: false, message: 'Missing required field', error: 'name is required (a string)' } })
    const notMultipart = await app.json('/api/tasks', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' })
    assert.deepEqual(notMultipart, { status: 400, body: { success: false, message: 'Invalid request', error: 'Content-Type must be multipart/form-data' } })
  })
})
