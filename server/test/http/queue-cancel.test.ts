import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTestApp, type TestApp, type Credential } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const post = (body?: unknown): RequestInit =>
  body === undefined ? { method: 'POST' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }

async function startTask(app: TestApp, name: string, as: Credential = { bearer: app.adminToken }): Promise<{ taskId: number; runId: number }> {
  const form = new FormData()
  form.set('script_file', new Blob(['print(1)\n']), 'job.py')
  form.set('conda_env', 'base')
  form.set('task_name', name)
  form.set('command', 'sleep 30')
  const created = await app.jsonAs(as, '/api/tasks', { method: 'POST', body: form })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const taskId = created.body.task.task_id as number
  return { taskId, runId: (await app.store.runs.listForTask(taskId, 1))[0]!.id }
}

const statusOf = async (app: TestApp, runId: number): Promise<string | undefined> => (await app.store.runs.findById(runId))?.status

for (const dialect of testDialects()) {
  describe(`${dialect.name}: cancel routes (issue 8, spec 002)`, { skip: dialect.skip }, () => {
    it('POST /api/executions/<id>/cancel: a queued run never starts, a running one is stopped; an ended one is a 400', async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_MAX_WORKERS: '1' } })
      const a = await startTask(app, 'a')
      await app.runningRun(a.taskId)
      const b = await startTask(app, 'b')
      const c = await startTask(app, 'c')
      const viewer = await app.addUser('vera', 'viewer')

      assert.deepEqual(await app.jsonAs({ bearer: viewer.bearer }, `/api/executions/${b.runId}/cancel`, post()), {
        status: 403,
        body: { success: false, message: 'Unauthorized - Insufficient privileges', error: 'You do not have permission to stop this task' },
      })
      assert.equal(await statusOf(app, b.runId), 'queued')

      assert.deepEqual(await app.json(`/api/executions/${b.runId}/cancel`, post()), {
        status: 200,
        body: {
          success: true,
          message: `Execution cancelled: ${b.runId}`,
          execution_id: b.runId,
          task_id: b.taskId,
          previous_status: 'queued',
          status: 'cancelled',
        },
      })
      const cancelled = await app.store.runs.findById(b.runId)
      assert.deepEqual([cancelled?.status, cancelled?.startedAt, cancelled?.error], ['cancelled', null, 'Cancelled before it started'])
      assert.notEqual((await app.store.tasks.findById(b.taskId))?.status, 'running')
      assert.deepEqual(
        (await app.json('/api/queue')).body.queue.map((e: any) => e.task_name),
        ['c'],
      )

      // A's end frees the slot: c starts, b never does.
      const cStarted = app.runningRun(c.taskId)
      const aEnded = app.runFinished(a.runId)
      const stoppedA = await app.json(`/api/executions/${a.runId}/cancel`, post())
      assert.deepEqual([stoppedA.status, stoppedA.body.previous_status, stoppedA.body.status], [200, 'running', 'cancelled'])
      await aEnded
      await cStarted
      await new Promise((r) => setTimeout(r, 200))
      assert.equal(await statusOf(app, b.runId), 'cancelled')
      assert.equal((await app.store.runs.findById(b.runId))?.pid, null)

      const again = await app.json(`/api/executions/${b.runId}/cancel`, post())
      assert.deepEqual(again, {
        status: 400,
        body: {
          success: false,
          message: 'Execution cannot be cancelled',
          error: `Execution ${b.runId} has already ended (cancelled)`,
          current_status: 'cancelled',
        },
      })
      for (const id of ['999', '01', 'abc']) {
        const res = await app.json(`/api/executions/${id}/cancel`, post())
        assert.equal(res.status, 404, `${id}: ${JSON.stringify(res.body)}`)
        assert.equal(res.body.message, 'Task execution with ID not found')
      }
      const audited = (await app.store.auditLog.list({ limit: 50 })).filter((e) => e.action === 'execution.cancel')
      assert.deepEqual(audited.map((e) => [e.targetId, e.details]).reverse(), [
        [String(b.runId), { task_id: b.taskId, was: 'queued' }],
        [String(a.runId), { task_id: a.taskId, was: 'running' }],
      ])
      assert.equal((await app.json(`/api/executions/${c.runId}/cancel`, post())).status, 200)
    })

    it('POST /api/tasks/cancel-all: queued runs only unless cancel_running; operators cancel their own tasks only; viewers none', async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_MAX_WORKERS: '1' } })
      const a = await startTask(app, 'a')
      await app.runningRun(a.taskId)
      const b = await startTask(app, 'b')
      const c = await startTask(app, 'c')
      const operator = await app.addUser('otto', 'operator')
      const viewer = await app.addUser('vera', 'viewer')
      const d = await startTask(app, 'd-otto', { bearer: operator.bearer })

      assert.equal((await app.jsonAs({ bearer: viewer.bearer }, '/api/tasks/cancel-all', post())).status, 403)
      const own = await app.jsonAs({ bearer: operator.bearer }, '/api/tasks/cancel-all', post({ cancel_running: true }))
      assert.deepEqual(own, { status: 200, body: { success: true, message: 'Cancelled 1 runs', result: { cancelled: 1, failed: 0, total: 1 } } })
      assert.deepEqual([await statusOf(app, d.runId), await statusOf(app, b.runId), await statusOf(app, a.runId)], ['cancelled', 'queued', 'running'])

      const typo = await app.json('/api/tasks/cancel-all', post({ cancel_runing: true }))
      assert.deepEqual([typo.status, typo.body.unknown_fields], [400, ['cancel_runing']])
      assert.equal(await statusOf(app, b.runId), 'queued')

      // spec 002's form field; the running run stays.
      const queuedOnly = await app.json('/api/tasks/cancel-all', { method: 'POST', body: new URLSearchParams({ cancel_running: 'false' }) })
      assert.deepEqual(queuedOnly.body, { success: true, message: 'Cancelled 2 runs', result: { cancelled: 2, failed: 0, total: 2 } })
      assert.deepEqual([await statusOf(app, b.runId), await statusOf(app, c.runId), await statusOf(app, a.runId)], ['cancelled', 'cancelled', 'running'])

      const all = await app.json('/api/tasks/cancel-all', post({ cancel_running: true }))
      assert.deepEqual(all.body.result, { cancelled: 1, failed: 0, total: 1 })
      assert.equal(await statusOf(app, a.runId), 'cancelled')
      assert.equal(await app.store.runs.countBusy(), 0)
      assert.deepEqual((await app.json('/api/tasks/cancel-all', post())).body.result, { cancelled: 0, failed: 0, total: 0 })
    })
  })
}
