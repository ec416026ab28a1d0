import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { fakeClock, fakeTimers } from '../helpers/fake-timers.ts'

const jsonPut = (body: unknown): RequestInit => ({ method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

async function createTask(app: TestApp, fields: Record<string, string>): Promise<{ status: number; body: any }> {
  return app.createTask({ conda_env: 'base', ...fields })
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: task timeout (issue 8)`, { skip: dialect.skip }, () => {
    it('ends a run that runs past timeout_seconds as timeout, and the task as failed', async (t) => {
      const app = await createTestApp(t, { dialect })
      const res = await createTask(app, { task_name: 'slow', command: 'sleep 60', timeout_seconds: '1' })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      assert.equal(res.body.task.timeout_seconds, 1)
      const taskId = res.body.task.task_id as number
      const { runId } = await app.runningRun(taskId)
      await app.runFinished(runId)
      const detail = (await app.json(`/api/executions/${runId}`)).body.execution
      assert.deepEqual([detail.status, detail.error], ['timeout', 'Run exceeded its time limit and was ended'])
      assert.ok(detail.duration >= 1 && detail.duration < 30, String(detail.duration))
      assert.equal((await app.json(`/api/tasks/${taskId}`)).body.task.status, 'failed')
    })

    it('does not count paused time: the deadline moves by exactly the pause (fake clock)', async (t) => {
      const clock = fakeClock(Date.now())
      const timers = fakeTimers(clock)
      const app = await createTestApp(t, { dialect, start: { clock, runTimers: timers.timers } })
      const res = await createTask(app, { task_name: 'pausing', command: 'sleep 300', timeout_seconds: '10' })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      const taskId = res.body.task.task_id as number
      const { runId } = await app.runningRun(taskId)
      const startedAt = clock.t
      assert.deepEqual(timers.dueTimes(), [startedAt + 10_000])

      clock.t += 4_000
      assert.equal((await app.json(`/api/tasks/${taskId}/pause`, { method: 'POST' })).status, 200)
      assert.equal(timers.pendingCount(), 0, 'a paused run has no deadline armed')
      clock.t += 60_000
      assert.equal((await app.json(`/api/tasks/${taskId}/resume`, { method: 'POST' })).status, 200)
      assert.deepEqual(timers.dueTimes(), [clock.t + 6_000], '4 s counted before the pause, 6 s left after it')

      const finished = app.runFinished(runId)
      assert.equal(timers.fireNext(), true)
      await finished
      const run = (await app.store.runs.findById(runId))!
      assert.deepEqual([run.status, run.error], ['timeout', 'Run exceeded its time limit and was ended'])
    })

    it('a stop before the deadline is a stop, not a timeout', async (t) => {
      const app = await createTestApp(t, { dialect })
      const res = await createTask(app, { task_name: 'stopped-first', command: 'sleep 60', timeout_seconds: '3600' })
      const taskId = res.body.task.task_id as number
      const { runId } = await app.runningRun(taskId)
      assert.equal((await app.json(`/api/tasks/${taskId}/stop`, { method: 'POST' })).status, 200)
      await app.runFinished(runId)
      assert.equal((await app.store.runs.findById(runId))!.status, 'cancelled')
    })

    it('refuses a bad timeout_seconds at create and PUT, naming it, and PUT null clears it', async (t) => {
      const app = await createTestApp(t, { dialect })
      for (const bad of ['0', '-1', '1.5', 'soon', '31536001']) {
        const res = await createTask(app, { task_name: `bad-${bad}`, command: 'echo x', timeout_seconds: bad })
        assert.equal(res.status, 400, bad)
        assert.equal(res.body.error, `timeout_seconds must be a whole number of seconds from 1 to 31536000, got ${JSON.stringify(bad)}`)
      }
      assert.equal((await app.store.tasks.list()).length, 0, 'nothing was created')
      const res = await createTask(app, { task_name: 'later', command: 'echo x', delay_seconds: '3600', timeout_seconds: '30' })
      const taskId = res.body.task.task_id as number
      const badPut = await app.json(`/api/tasks/${taskId}`, jsonPut({ timeout_seconds: 0 }))
      assert.equal(badPut.status, 400)
      assert.equal((await app.store.tasks.findById(taskId))!.timeoutSeconds, 30)
      const put = await app.json(`/api/tasks/${taskId}`, jsonPut({ timeout_seconds: 120 }))
      assert.equal(put.body.task.timeout_seconds, 120)
      const cleared = await app.json(`/api/tasks/${taskId}`, jsonPut({ timeout_seconds: null }))
      assert.equal(cleared.status, 200)
      assert.equal('timeout_seconds' in cleared.body.task, false)
      assert.equal((await app.store.tasks.findById(taskId))!.timeoutSeconds, null)
    })
  })
}
