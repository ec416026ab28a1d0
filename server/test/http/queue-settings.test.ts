import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const put = (body: unknown): RequestInit => ({ method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

const CONFIG_3 = { max_workers: 3, max_workers_source: 'config', when_busy: 'queue', configured_max_workers: 3, updated_at: null, updated_by: null }

/** Creates a task that runs at once (queued behind max_workers) and returns its id and run id. */
async function startTask(app: TestApp, name: string, command: string, priority = 'normal'): Promise<{ taskId: number; runId: number }> {
  const created = await app.createTask({ conda_env: 'base', task_name: name, command, priority })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const taskId = created.body.task.task_id as number
  const run = (await app.store.runs.listForTask(taskId, 1))[0]
  assert.ok(run, `task ${name} has a run`)
  return { taskId, runId: run.id }
}

const statusOf = async (app: TestApp, runId: number): Promise<string | undefined> => (await app.store.runs.findById(runId))?.status

for (const dialect of testDialects()) {
  describe(`${dialect.name}: GET/PUT /api/settings (issue 8: max_workers at run time)`, { skip: dialect.skip }, () => {
    it('every role reads it; only admins change it, audited; bad values and unknown fields are a 400 that changes nothing', async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_MAX_WORKERS: '3' } })
      const viewer = await app.addUser('vera', 'viewer')
      const operator = await app.addUser('otto', 'operator')
      assert.deepEqual(await app.jsonAs({ bearer: viewer.bearer }, '/api/settings'), { status: 200, body: { success: true, settings: CONFIG_3 } })
      assert.equal((await app.jsonAs(null, '/api/settings')).status, 401)

      const refused = await app.jsonAs({ bearer: operator.bearer }, '/api/settings', put({ max_workers: 1 }))
      assert.deepEqual(refused, {
        status: 403,
        body: { success: false, message: 'Unauthorized - Insufficient privileges', error: 'You do not have permission to change the settings' },
      })
      for (const bad of [0, 1025, 2.5, 'many', -1]) {
        const res = await app.json('/api/settings', put({ max_workers: bad }))
        assert.equal(res.status, 400, `${JSON.stringify(bad)}: ${JSON.stringify(res.body)}`)
        assert.equal(res.body.success, false)
        assert.match(res.body.error, /max_workers/)
      }
      const typo = await app.json('/api/settings', put({ max_worker: 2 }))
      assert.equal(typo.status, 400)
      assert.deepEqual(typo.body.unknown_fields, ['max_worker'])
      assert.deepEqual((await app.json('/api/settings')).body.settings, CONFIG_3)
      assert.equal((await app.store.auditLog.list({ limit: 10 })).filter((e) => e.action === 'settings.update').length, 0)

      const changed = await app.json('/api/settings', put({ max_workers: 1 }))
      assert.equal(changed.status, 200, JSON.stringify(changed.body))
      const admin = (await app.store.users.findByUsername('admin'))!
      assert.deepEqual(
        { ...changed.body.settings, updated_at: typeof changed.body.settings.updated_at },
        {
          max_workers: 1,
          max_workers_source: 'admin',
          when_busy: 'queue',
          configured_max_workers: 3,
          updated_at: 'string',
          updated_by: admin.id,
        },
      )
      assert.deepEqual((await app.jsonAs({ bearer: operator.bearer }, '/api/settings')).body.settings, changed.body.settings)
      // Kept in the database, where every server on it (and this one after a restart) reads it.
      assert.equal((await app.store.queueSettings.get()).maxWorkers, 1)
      const entry = (await app.store.auditLog.list({ limit: 10 })).find((e) => e.action === 'settings.update')
      assert.deepEqual(
        { actor: entry?.actorUsername, target: [entry?.targetType, entry?.targetId], details: entry?.details },
        { actor: 'admin', target: ['settings', 'queue'], details: { max_workers: { from: null, to: 1 } } },
      )

      const back = await app.json('/api/settings', put({ max_workers: null }))
      assert.equal(back.status, 200)
      assert.deepEqual({ ...back.body.settings, updated_at: null, updated_by: null }, CONFIG_3)
    })

    it('queued runs wait behind max_workers, start by priority then due time, and a raised limit starts them at once', async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_MAX_WORKERS: '1' } })
      const a = await startTask(app, 'a', 'sleep 30')
      await app.runningRun(a.taskId)
      const b = await startTask(app, 'b-low', 'sleep 30', 'low')
      const c = await startTask(app, 'c-high', 'sleep 30', '1')
      const d = await startTask(app, 'd-normal', 'sleep 30', 'normal')
      // Give the worker every chance to overtake the limit: it must not.
      await new Promise((r) => setTimeout(r, 300))
      assert.deepEqual([await statusOf(app, b.runId), await statusOf(app, c.runId), await statusOf(app, d.runId)], ['queued', 'queued', 'queued'])
      assert.equal(await app.store.runs.countBusy(), 1)

      // A's end frees the slot for the most urgent: c (priority 1), not b (low) nor d (normal).
      const cStarted = app.runningRun(c.taskId)
      assert.equal((await app.json(`/api/tasks/${a.taskId}/stop`, { method: 'POST' })).status, 200)
      await cStarted
      assert.deepEqual([await statusOf(app, b.runId), await statusOf(app, d.runId)], ['queued', 'queued'])

      // Raised to 2: d (normal) starts without waiting for anything to end; b still waits.
      const dStarted = app.runningRun(d.taskId)
      assert.equal((await app.json('/api/settings', put({ max_workers: 2 }))).status, 200)
      await dStarted
      await new Promise((r) => setTimeout(r, 200))
      assert.equal(await statusOf(app, b.runId), 'queued')
      assert.equal(await app.store.runs.countBusy(), 2)

      for (const task of [c, d]) assert.equal((await app.json(`/api/tasks/${task.taskId}/stop`, { method: 'POST' })).status, 200)
      await app.runningRun(b.taskId)
      assert.equal((await app.json(`/api/tasks/${b.taskId}/stop`, { method: 'POST' })).status, 200)
    })

    it(
      "single-active-run mode (max_workers 1, when_busy 'refuse', spec 003): of parallel submits one runs, the rest are refused and keep nothing",
      { timeout: 60_000 },
      async (t) => {
        const app = await createTestApp(t, { dialect, env: { TASKYARD_MAX_WORKERS: '4' } })
        const bad = await app.json('/api/settings', put({ when_busy: 'sometimes' }))
        assert.deepEqual([bad.status, bad.body.error], [400, 'body/when_busy must be equal to one of the allowed values'])
        const later = await app.createTask({ conda_env: 'base', task_name: 'later', command: 'sleep 30', delay_seconds: '3600' })
        assert.equal(later.status, 201)
        const mode = await app.json('/api/settings', put({ max_workers: 1, when_busy: 'refuse' }))
        assert.deepEqual([mode.status, mode.body.settings.max_workers, mode.body.settings.when_busy], [200, 1, 'refuse'])
        const entry = (await app.store.auditLog.list({ limit: 5 })).find((e) => e.action === 'settings.update')
        assert.deepEqual(entry?.details, { max_workers: { from: null, to: 1 }, when_busy: { from: 'queue', to: 'refuse' } })

        const submits = await Promise.all(
          Array.from({ length: 6 }, (_, i) => app.createTask({ conda_env: 'base', task_name: `now-${i}`, command: 'sleep 30' })),
        )
        const accepted = submits.filter((r) => r.status === 201)
        const refused = submits.filter((r) => r.status === 409)
        assert.equal(accepted.length, 1, JSON.stringify(submits.map((r) => r.status)))
        assert.equal(refused.length, 5)
        for (const r of refused) {
          assert.deepEqual(r.body, {
            success: false,
            message: 'Another task is running',
            error: "All 1 worker slot is taken and when_busy is 'refuse': submit again when a run has ended",
            max_workers: 1,
          })
        }
        assert.equal((await app.store.tasks.list()).length, 2, 'refused submits keep no task')
        const runner = accepted[0]!.body.task.task_id as number
        const { runId } = await app.runningRun(runner)

        // A trigger is a submit too: refused, nothing queued, the task as it was.
        const laterId = later.body.task.task_id as number
        const trigger = await app.json(`/api/tasks/${laterId}/trigger`, { method: 'POST' })
        assert.deepEqual([trigger.status, trigger.body.message], [409, 'Another task is running'])
        assert.equal((await app.store.runs.listForTask(laterId, 5)).length, 0)
        assert.equal((await app.store.tasks.findById(laterId))?.status, 'scheduled')

        // Once the run has ended, the next submit runs.
        assert.equal((await app.json(`/api/executions/${runId}/cancel`, { method: 'POST' })).status, 200)
        const again = await app.json(`/api/tasks/${laterId}/trigger`, { method: 'POST' })
        assert.equal(again.status, 200, JSON.stringify(again.body))
        await app.runningRun(laterId)
        assert.equal((await app.json(`/api/tasks/${laterId}/stop`, { method: 'POST' })).status, 200)
      },
    )

    it("when_busy 'refuse' takes a replace trigger that frees its own slot, and still refuses one that needs another", async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_MAX_WORKERS: '4' } })
      assert.equal((await app.json('/api/settings', put({ max_workers: 1, when_busy: 'refuse' }))).status, 200)
      const created = await app.createTask({ conda_env: 'base', task_name: 'replacer', command: 'sleep 30', concurrency: 'replace' })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const id = created.body.task.task_id as number
      const { runId: first } = await app.runningRun(id)

      // The only slot is the replaced run's: the new run takes it over.
      const replaced = await app.json(`/api/tasks/${id}/trigger`, { method: 'POST' })
      assert.equal(replaced.status, 200, JSON.stringify(replaced.body))
      assert.equal(await statusOf(app, first), 'cancelled')
      const { runId: second } = await app.runningRun(id)
      assert.notEqual(second, first)

      // Another task's trigger still finds the slot taken: refused, nothing queued.
      const other = await app.createTask({ conda_env: 'base', task_name: 'other', command: 'sleep 30', delay_seconds: '3600' })
      assert.equal(other.status, 201)
      const otherId = other.body.task.task_id as number
      const refused = await app.json(`/api/tasks/${otherId}/trigger`, { method: 'POST' })
      assert.deepEqual([refused.status, refused.body.message], [409, 'Another task is running'])
      assert.equal((await app.store.runs.listForTask(otherId, 5)).length, 0)
      assert.equal((await app.json(`/api/tasks/${id}/stop`, { method: 'POST' })).status, 200)
    })
  })
}
