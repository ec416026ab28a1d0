import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import type { Run } from '../../src/domain/run.ts'
import { formatDateTime } from '../../src/lib/format-time.ts'
import { fakeClock, fakeTimers } from '../helpers/fake-timers.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects, type TestDialect } from '../helpers/test-dialects.ts'

const jsonPut = (body: unknown): RequestInit => ({ method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
const post = (body?: unknown): RequestInit =>
  body === undefined ? { method: 'POST' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }

async function createTask(app: TestApp, fields: Record<string, string>): Promise<number> {
  const res = await app.createTask({ conda_env: 'base', ...fields })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.task.task_id as number
}

/** The task's runs, oldest first. */
async function runsOf(app: TestApp, taskId: number): Promise<Run[]> {
  return (await app.store.runs.listForTask(taskId, 100)).reverse()
}

/** A fake clock and timers the server's dispatcher arms its not-before timer on. */
async function fakeTimeApp(t: TestContext, dialect: TestDialect) {
  const clock = fakeClock(Date.now())
  const timers = fakeTimers(clock)
  const app = await createTestApp(t, { dialect, start: { clock, runTimers: timers.timers } })
  return { app, clock, timers }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: automatic retries with backoff (issue 8)`, { skip: dialect.skip }, () => {
    it('retries a failed run max_retries times, each attempt its own run linked to the first, never before its backoff (fake clock)', async (t) => {
      const { app, clock, timers } = await fakeTimeApp(t, dialect)
      const armed = timers.nextArm()
      const taskId = await createTask(app, {
        task_name: 'flaky',
        command: 'exit 3',
        max_retries: '2',
        retry_backoff_seconds: '10',
        retry_max_backoff_seconds: '15',
      })
      const task = (await app.json(`/api/tasks/${taskId}`)).body.task
      assert.deepEqual([task.max_retries, task.retry_backoff_seconds, task.retry_max_backoff_seconds], [2, 10, 15])
      const [first] = await runsOf(app, taskId)
      await app.runFinished(first!.id)

      // The retry was queued with the failure, in its transaction: 10 s (the base) after the end.
      const [ended, second] = await runsOf(app, taskId)
      assert.equal(ended!.status, 'failed')
      assert.deepEqual(
        [second!.status, second!.trigger, second!.attempt, second!.firstRunId, second!.retryOf, second!.notBefore],
        ['queued', 'retry', 2, first!.id, first!.id, ended!.endedAt! + 10_000],
      )
      assert.equal(await armed, second!.notBefore, 'the worker wakes at the not-before time')
      assert.equal((await app.store.runs.findById(second!.id))!.status, 'queued', 'not claimed before its time')
      // A pending retry keeps the task running as stored (its actions: stop it, not trigger it);
      // while only queued runs are live it is shown scheduled, with where its run stands (issue 8).
      assert.equal((await app.store.tasks.findById(taskId))!.status, 'running', 'a pending retry keeps the task running')
      const shown = (await app.json(`/api/tasks/${taskId}`)).body.task
      assert.deepEqual([shown.status, shown.queue_position], ['scheduled', 1])
      const detail = (await app.json(`/api/executions/${second!.id}`)).body.execution
      assert.deepEqual(
        [detail.status, detail.attempt, detail.first_execution_id, detail.retry_of_execution_id, detail.not_before, detail.queue_position],
        ['queued', 2, String(first!.id), String(first!.id), formatDateTime(second!.notBefore), 1],
      )
      const queue = (await app.json('/api/queue')).body.queue
      assert.deepEqual(
        queue.map((e: Record<string, unknown>) => [e.execution_id, e.trigger, e.not_before]),
        [[second!.id, 'retry', formatDateTime(second!.notBefore)]],
      )

      // Its time comes: it runs, fails, and the next waits twice the base, capped at 15 s.
      const armedAgain = timers.nextArm()
      const secondDone = app.runFinished(second!.id)
      assert.equal(timers.fireNext(), true)
      await secondDone
      const third = (await runsOf(app, taskId))[2]!
      assert.deepEqual([third.attempt, third.firstRunId, third.retryOf], [3, first!.id, second!.id])
      assert.equal(third.notBefore! - (await app.store.runs.findById(second!.id))!.endedAt!, 15_000)
      assert.equal(await armedAgain, third.notBefore)

      const thirdDone = app.runFinished(third.id)
      clock.t = third.notBefore!
      assert.equal(timers.fireNext(), true)
      await thirdDone
      // Attempt 3 is the last of 1 + max_retries: the task has failed, nothing more is queued.
      const runs = await runsOf(app, taskId)
      assert.deepEqual(
        runs.map((r) => [r.attempt, r.status]),
        [
          [1, 'failed'],
          [2, 'failed'],
          [3, 'failed'],
        ],
      )
      assert.equal((await app.json(`/api/tasks/${taskId}`)).body.task.status, 'failed')
      // The history of the task shows the chain.
      const page = (await app.json(`/api/tasks/${taskId}/executions`)).body
      assert.deepEqual(
        page.executions.map((e: Record<string, unknown>) => [e.attempt, e.first_execution_id, e.retry_of_execution_id]),
        [
          [3, String(first!.id), String(second!.id)],
          [2, String(first!.id), String(first!.id)],
          [1, null, null],
        ],
      )
    })

    it('does not retry a success, a stop or a task without max_retries; retries a timeout (real clock, 1 s backoff)', async (t) => {
      const app = await createTestApp(t, { dialect })
      const ok = await createTask(app, { task_name: 'fine', command: 'true', max_retries: '3' })
      await app.runFinished((await runsOf(app, ok))[0]!.id)
      const plain = await createTask(app, { task_name: 'plain', command: 'exit 1' })
      await app.runFinished((await runsOf(app, plain))[0]!.id)
      const stopped = await createTask(app, { task_name: 'stopped', command: 'sleep 60', max_retries: '3' })
      const { runId } = await app.runningRun(stopped)
      assert.equal((await app.json(`/api/tasks/${stopped}/stop`, post())).status, 200)
      await app.runFinished(runId)

      const slow = await createTask(app, { task_name: 'slow', command: 'sleep 60', timeout_seconds: '1', max_retries: '1', retry_backoff_seconds: '1' })
      const firstSlow = (await runsOf(app, slow))[0]!
      await app.runFinished(firstSlow.id)
      const retrySlow = (await runsOf(app, slow))[1]!
      assert.deepEqual([retrySlow.attempt, retrySlow.retryOf], [2, firstSlow.id])
      await app.runFinished(retrySlow.id)

      assert.deepEqual(
        (await runsOf(app, ok)).map((r) => r.status),
        ['completed'],
      )
      assert.deepEqual(
        (await runsOf(app, plain)).map((r) => r.status),
        ['failed'],
      )
      assert.deepEqual(
        (await runsOf(app, stopped)).map((r) => r.status),
        ['cancelled'],
      )
      assert.deepEqual(
        (await runsOf(app, slow)).map((r) => r.status),
        ['timeout', 'timeout'],
      )
      const retried = (await app.store.runs.findById(retrySlow.id))!
      assert.ok(retried.startedAt! >= retrySlow.notBefore!, 'started no sooner than its not-before time')
    })

    it('stop, cancel and delete of the task cancel a pending retry; it never starts (fake clock)', async (t) => {
      const { app, timers } = await fakeTimeApp(t, dialect)
      const pending = async (name: string): Promise<{ taskId: number; retry: Run }> => {
        const taskId = await createTask(app, { task_name: name, command: 'exit 1', max_retries: '5', retry_backoff_seconds: '60' })
        await app.runFinished((await runsOf(app, taskId))[0]!.id)
        const retry = (await runsOf(app, taskId))[1]!
        assert.equal(retry.status, 'queued')
        return { taskId, retry }
      }
      const a = await pending('stop-me')
      assert.equal((await app.json(`/api/tasks/${a.taskId}/stop`, post())).status, 200)
      const b = await pending('cancel-me')
      assert.equal((await app.json(`/api/executions/${b.retry.id}/cancel`, post())).status, 200)
      // spec 000 refuses to delete a running task, and a task waiting for its retry is running: stop, then delete.
      const c = await pending('delete-me')
      const refused = await app.json(`/api/tasks/${c.taskId}`, { method: 'DELETE' })
      assert.deepEqual([refused.status, refused.body.error], [400, 'Cannot delete a task that is currently running'])
      assert.equal((await app.json(`/api/tasks/${c.taskId}/stop`, post())).status, 200)
      assert.equal((await app.json(`/api/tasks/${c.taskId}`, { method: 'DELETE' })).status, 200)

      while (timers.fireNext()) await new Promise((r) => setImmediate(r))
      app.worker.wake()
      assert.deepEqual(
        (await runsOf(app, a.taskId)).map((r) => r.status),
        ['failed', 'cancelled'],
      )
      assert.equal((await app.json(`/api/tasks/${a.taskId}`)).body.task.status, 'stopped')
      assert.deepEqual(
        (await runsOf(app, b.taskId)).map((r) => r.status),
        ['failed', 'cancelled'],
      )
      assert.equal(await app.store.tasks.findById(c.taskId), undefined)
      assert.equal(await app.store.runs.findById(c.retry.id), undefined)
    })

    it('refuses a bad max_retries or backoff at create (multipart and JSON) and PUT, naming it; PUT null restores the defaults', async (t) => {
      const app = await createTestApp(t, { dialect })
      const cases: [string, string, string][] = [
        ['max_retries', '11', 'max_retries must be a whole number from 0 to 10, got "11"'],
        ['max_retries', '-1', 'max_retries must be a whole number from 0 to 10, got "-1"'],
        ['retry_backoff_seconds', '0', 'retry_backoff_seconds must be a whole number of seconds from 1 to 86400, got "0"'],
        ['retry_backoff_seconds', '1.5', 'retry_backoff_seconds must be a whole number of seconds from 1 to 86400, got "1.5"'],
        ['retry_max_backoff_seconds', '86401', 'retry_max_backoff_seconds must be a whole number of seconds from 1 to 86400, got "86401"'],
      ]
      for (const [field, value, error] of cases) {
        const res = await app.createTask({ conda_env: 'base', task_name: `bad-${field}`, command: 'echo x', [field]: value })
        assert.deepEqual([res.status, res.body.error], [400, error], `${field}=${value}`)
      }
      const json = await app.json('/api/tasks', post({ name: 'shell', command: 'echo x', server_id: 1, cron_expr: '@once', max_retries: 'often' }))
      assert.equal(json.status, 400)
      assert.match(json.body.error, /max_retries must be/)
      const jsonRange = await app.json('/api/tasks', post({ name: 'shell', command: 'echo x', server_id: 1, cron_expr: '@once', max_retries: 99 }))
      assert.deepEqual([jsonRange.status, jsonRange.body.error], [400, 'max_retries must be a whole number from 0 to 10, got 99'])
      assert.equal((await app.store.tasks.list()).length, 0, 'nothing was created')

      const taskId = await createTask(app, { task_name: 'later', command: 'echo x', delay_seconds: '3600' })
      assert.equal('max_retries' in (await app.json(`/api/tasks/${taskId}`)).body.task, false, "spec 000's shape for a task that does not retry")
      const bad = await app.json(`/api/tasks/${taskId}`, jsonPut({ max_retries: 3, retry_backoff_seconds: 0 }))
      assert.equal(bad.status, 400)
      assert.match(bad.body.error, /retry_backoff_seconds must be a whole number of seconds from 1 to 86400, got 0/)
      assert.equal((await app.store.tasks.findById(taskId))!.maxRetries, 0, 'a refused PUT changed nothing')
      const put = await app.json(`/api/tasks/${taskId}`, jsonPut({ max_retries: 3, retry_backoff_seconds: 5, retry_max_backoff_seconds: 40 }))
      assert.equal(put.status, 200, JSON.stringify(put.body))
      assert.deepEqual([put.body.task.max_retries, put.body.task.retry_backoff_seconds, put.body.task.retry_max_backoff_seconds], [3, 5, 40])
      const cleared = await app.json(`/api/tasks/${taskId}`, jsonPut({ max_retries: null, retry_backoff_seconds: null, retry_max_backoff_seconds: null }))
      assert.equal(cleared.status, 200)
      assert.equal('max_retries' in cleared.body.task, false)
      const stored = (await app.store.tasks.findById(taskId))!
      assert.deepEqual([stored.maxRetries, stored.retryBackoffSeconds, stored.retryMaxBackoffSeconds], [0, 10, 3600])
    })
  })
}
