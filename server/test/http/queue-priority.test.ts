import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const postJson = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
const postForm = (fields: Record<string, string>): RequestInit => ({ method: 'POST', body: new URLSearchParams(fields) })

async function startTask(app: TestApp, name: string, priority: string): Promise<{ taskId: number; runId: number }> {
  const created = await app.createTask({ conda_env: 'base', task_name: name, command: 'sleep 30', priority })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const taskId = created.body.task.task_id as number
  return { taskId, runId: (await app.store.runs.listForTask(taskId, 1))[0]!.id }
}

/** The queue as [task name, priority, position]. */
async function queueOf(app: TestApp, query = ''): Promise<[string, number, number][]> {
  const res = await app.json(`/api/queue${query}`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.queue.map((e: any) => [e.task_name, e.priority, e.position])
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: GET /api/queue and POST /api/tasks/<id>/priority (issue 8, spec 002)`, { skip: dialect.skip }, () => {
    it('lists queued runs in start order; a new priority moves the task and its queued runs, and the start order follows', async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_MAX_WORKERS: '1' } })
      const a = await startTask(app, 'a', 'normal')
      await app.runningRun(a.taskId)
      const b = await startTask(app, 'b', 'normal')
      const c = await startTask(app, 'c', 'low')
      const d = await startTask(app, 'd', 'normal')
      const viewer = await app.addUser('vera', 'viewer')

      const listed = await app.jsonAs({ bearer: viewer.bearer }, '/api/queue')
      assert.equal(listed.status, 200)
      const { queue, ...rest } = listed.body
      assert.deepEqual(rest, { success: true, total: 3, page: 1, page_size: 100, running: 1, max_workers: 1 })
      assert.deepEqual(
        queue.map((e: any) => ({ ...e, queued_at: /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(e.queued_at) })),
        [
          { position: 1, execution_id: b.runId, task_id: b.taskId, task_name: 'b', priority: 5, priority_word: 'normal', trigger: 'create', queued_at: true },
          { position: 2, execution_id: d.runId, task_id: d.taskId, task_name: 'd', priority: 5, priority_word: 'normal', trigger: 'create', queued_at: true },
          { position: 3, execution_id: c.runId, task_id: c.taskId, task_name: 'c', priority: 8, priority_word: 'low', trigger: 'create', queued_at: true },
        ],
      )
      assert.deepEqual(await queueOf(app, '?page=2&page_size=2'), [['c', 8, 3]])
      assert.equal((await app.json('/api/queue?page=0')).status, 400)

      // JSON with a word…
      const raised = await app.json(`/api/tasks/${c.taskId}/priority`, postJson({ priority: 'high' }))
      assert.deepEqual(raised, {
        status: 200,
        body: {
          success: true,
          message: `Task priority updated: ${c.taskId} -> 2`,
          task_id: c.taskId,
          priority: 2,
          priority_word: 'high',
          previous_priority: 8,
          queued_runs_updated: 1,
        },
      })
      assert.deepEqual(await queueOf(app), [
        ['c', 2, 1],
        ['b', 5, 2],
        ['d', 5, 3],
      ])
      // …or spec 002's form field with a number.
      const top = await app.json(`/api/tasks/${d.taskId}/priority`, postForm({ priority: '0' }))
      assert.equal(top.status, 200, JSON.stringify(top.body))
      assert.equal(top.body.priority, 0)
      assert.equal((await app.store.tasks.findById(d.taskId))?.priority, 0)
      assert.deepEqual(await queueOf(app), [
        ['d', 0, 1],
        ['c', 2, 2],
        ['b', 5, 3],
      ])
      const entry = (await app.store.auditLog.list({ limit: 5 })).find((e) => e.action === 'task.priority')
      assert.deepEqual([entry?.targetId, entry?.details], [String(d.taskId), { from: 5, to: 0, queued_runs: 1 }])

      // A running run keeps its slot and its priority; the task's next runs get the new one.
      const running = await app.json(`/api/tasks/${a.taskId}/priority`, postJson({ priority: 11 }))
      assert.equal(running.body.queued_runs_updated, 0)
      assert.equal((await app.store.runs.findById(a.runId))?.priority, 5)

      // The slot a's end frees goes to d, which was last in line before its change.
      const dStarted = app.runningRun(d.taskId)
      assert.equal((await app.json(`/api/tasks/${a.taskId}/stop`, { method: 'POST' })).status, 200)
      await dStarted
      assert.deepEqual(await queueOf(app), [
        ['c', 2, 1],
        ['b', 5, 2],
      ])
      for (const task of [b, c, d]) assert.equal((await app.json(`/api/tasks/${task.taskId}/stop`, { method: 'POST' })).status, 200)
    })

    it('refuses bad priorities with a 400 that changes nothing; unknown task 404; viewers and other operators 403', async (t) => {
      const app = await createTestApp(t, { dialect })
      const created = await app.createTask({ conda_env: 'base', task_name: 'later', command: 'true', delay_seconds: '3600' })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const taskId = created.body.task.task_id as number
      for (const bad of [12, -1, 'urgent', '1.5', '']) {
        const res = await app.json(`/api/tasks/${taskId}/priority`, postJson({ priority: bad }))
        assert.equal(res.status, 400, `${JSON.stringify(bad)}: ${JSON.stringify(res.body)}`)
        assert.match(res.body.error, /Priority must be 'low', 'normal', 'high' or an integer from 0 to 11/)
      }
      const missing = await app.json(`/api/tasks/${taskId}/priority`, postJson({}))
      assert.equal(missing.status, 400)
      assert.match(missing.body.error, /priority/)
      const typo = await app.json(`/api/tasks/${taskId}/priority`, postJson({ priority: 1, prio: 2 }))
      assert.deepEqual([typo.status, typo.body.unknown_fields], [400, ['prio']])
      assert.equal((await app.store.tasks.findById(taskId))?.priority, 5)
      assert.equal((await app.store.auditLog.list({ limit: 20 })).filter((e) => e.action === 'task.priority').length, 0)

      assert.deepEqual(await app.json('/api/tasks/999/priority', postJson({ priority: 1 })), {
        status: 404,
        body: { success: false, message: 'Task with ID 999 not found' },
      })
      const viewer = await app.addUser('vera', 'viewer')
      const operator = await app.addUser('otto', 'operator')
      for (const who of [viewer, operator]) {
        const res = await app.jsonAs({ bearer: who.bearer }, `/api/tasks/${taskId}/priority`, postJson({ priority: 1 }))
        assert.deepEqual(res, {
          status: 403,
          body: { success: false, message: 'Unauthorized - Insufficient privileges', error: 'You do not have permission to update this task' },
        })
      }
      assert.equal((await app.store.tasks.findById(taskId))?.priority, 5)
      // The owner may.
      const form = new FormData()
      form.set('script_file', new Blob(['print(1)\n']), 'job.py')
      form.set('conda_env', 'base')
      form.set('delay_seconds', '3600')
      const own = await app.jsonAs({ bearer: operator.bearer }, '/api/tasks', { method: 'POST', body: form })
      assert.equal(own.status, 201, JSON.stringify(own.body))
      const mine = await app.jsonAs({ bearer: operator.bearer }, `/api/tasks/${own.body.task.task_id}/priority`, postJson({ priority: 'low' }))
      assert.equal(mine.status, 200, JSON.stringify(mine.body))
    })
  })
}
