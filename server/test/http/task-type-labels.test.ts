import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
const put = (body: unknown): RequestInit => ({ method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

async function create(app: TestApp, fields: Record<string, string>): Promise<{ taskId: number; runId: number | undefined; body: any }> {
  const created = await app.createTask({ conda_env: 'base', command: 'sleep 30', ...fields })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const taskId = created.body.task.task_id as number
  return { taskId, runId: (await app.store.runs.listForTask(taskId, 1))[0]?.id, body: created.body }
}

const names = async (app: TestApp, query: string): Promise<string[]> => {
  const res = await app.json(`/api/tasks${query}`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.map((t: any) => t.task_name)
}
const statusOf = async (app: TestApp, runId: number | undefined): Promise<string | undefined> => (await app.store.runs.findById(runId!))?.status

for (const dialect of testDialects()) {
  describe(`${dialect.name}: task_type and labels (issue 8)`, { skip: dialect.skip }, () => {
    it('are set at create and update, shown, filter the task list; bad ones are a 400 that changes nothing', async (t) => {
      const app = await createTestApp(t, { dialect })
      const scan = await create(app, { task_name: 'scan', task_type: 'file_scan', labels: 'nightly, eu', delay_seconds: '3600' })
      assert.deepEqual([scan.body.task.task_type, scan.body.task.labels], ['file_scan', ['nightly', 'eu']])
      await create(app, { task_name: 'thumbs', task_type: 'thumbnail_generate', labels: 'eu', delay_seconds: '3600' })
      await create(app, { task_name: 'plain', delay_seconds: '3600' })
      const listed = (await app.json('/api/tasks')).body.find((x: any) => x.task_name === 'plain')
      // Shown only when set: spec 000's list item stays as it is.
      assert.deepEqual([listed.task_type, listed.labels], [undefined, undefined])
      assert.deepEqual(await names(app, '?task_type=file_scan'), ['scan'])
      assert.deepEqual(await names(app, '?label=eu'), ['scan', 'thumbs'])
      assert.deepEqual(await names(app, '?label=eu&task_type=thumbnail_generate'), ['thumbs'])
      assert.deepEqual(await names(app, '?label=none'), [])

      for (const [field, value, pattern] of [
        ['task_type', 'has space', /task_type must be 1–100/],
        ['task_type', '-dash', /task_type must be 1–100/],
        ['labels', 'ok,bad label', /Each label must be/],
        ['labels', Array.from({ length: 21 }, (_, i) => `l${i}`).join(','), /at most 20 labels, got 21/],
      ] as const) {
        const res = await app.createTask({ conda_env: 'base', task_name: 'refused', delay_seconds: '3600', [field]: value })
        assert.equal(res.status, 400, JSON.stringify(res.body))
        assert.match(res.body.error, pattern)
      }
      assert.equal(await app.store.tasks.findByName('refused'), undefined)

      const updated = await app.json(`/api/tasks/${scan.taskId}`, put({ labels: ['weekly'], task_type: null }))
      assert.equal(updated.status, 200, JSON.stringify(updated.body))
      assert.deepEqual([updated.body.task.task_type, updated.body.task.labels], [undefined, ['weekly']])
      const badUpdate = await app.json(`/api/tasks/${scan.taskId}`, put({ labels: ['has space'] }))
      assert.equal(badUpdate.status, 400)
      const after = await app.store.tasks.findById(scan.taskId)
      assert.deepEqual([after?.taskType, after?.labels], [null, ['weekly']])
    })

    it('POST /api/tasks/cancel-by-type cancels the queued runs of one type, the running ones too with cancel_running', async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_MAX_WORKERS: '1' } })
      const a = await create(app, { task_name: 'a', task_type: 'file_scan' })
      await app.runningRun(a.taskId)
      const b = await create(app, { task_name: 'b', task_type: 'file_scan' })
      const c = await create(app, { task_name: 'c', task_type: 'thumbnail_generate' })
      const viewer = await app.addUser('vera', 'viewer')

      assert.equal((await app.jsonAs({ bearer: viewer.bearer }, '/api/tasks/cancel-by-type', post({ task_type: 'file_scan' }))).status, 403)
      const missing = await app.json('/api/tasks/cancel-by-type', post({ cancel_running: true }))
      assert.equal(missing.status, 400)
      assert.match(missing.body.error, /task_type/)
      assert.deepEqual([await statusOf(app, a.runId), await statusOf(app, b.runId), await statusOf(app, c.runId)], ['running', 'queued', 'queued'])

      const queued = await app.json('/api/tasks/cancel-by-type', post({ task_type: 'file_scan' }))
      assert.deepEqual(queued, {
        status: 200,
        body: { success: true, message: 'Cancelled 1 runs of type file_scan', result: { cancelled: 1, failed: 0, total: 1 } },
      })
      assert.deepEqual([await statusOf(app, a.runId), await statusOf(app, b.runId), await statusOf(app, c.runId)], ['running', 'cancelled', 'queued'])

      const cStarted = app.runningRun(c.taskId)
      const running = await app.json('/api/tasks/cancel-by-type', {
        method: 'POST',
        body: new URLSearchParams({ task_type: 'file_scan', cancel_running: 'true' }),
      })
      assert.deepEqual(running.body.result, { cancelled: 1, failed: 0, total: 1 })
      assert.equal(await statusOf(app, a.runId), 'cancelled')
      await cStarted
      assert.deepEqual((await app.json('/api/tasks/cancel-by-type', post({ task_type: 'nothing_of_this' }))).body.result, { cancelled: 0, failed: 0, total: 0 })
      assert.equal((await app.json(`/api/executions/${c.runId}/cancel`, { method: 'POST' })).status, 200)
    })
  })
}
