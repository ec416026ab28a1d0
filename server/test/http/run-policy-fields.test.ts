import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const put = (app: TestApp, id: number, body: unknown, bearer = app.adminToken) =>
  app.jsonAs({ bearer }, `/api/tasks/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

const invalid = (error: string) => ({ success: false, message: 'Invalid request', error })
const invalidUpdate = (error: string) => ({ success: false, message: 'Invalid update parameters', error })
const forbidden = { success: false, message: 'Unauthorized - Insufficient privileges', error: 'You do not have permission to set the account a task runs as' }

/** A task that waits an hour, so no run starts while a test looks at it. */
const later = { conda_env: 'base', delay_seconds: '3600' }

for (const dialect of testDialects()) {
  describe(`${dialect.name}: run_as, memory_limit_mb and max_log_mb on create, PUT and GET (issue 6)`, { skip: dialect.skip }, () => {
    it('create stores them and every task view shows them; a task without them shows none of the three', async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_MAX_LOG_BYTES: String(64 * 1024 * 1024) } })
      const res = await app.createTask({ ...later, task_name: 'limited', run_as: 'nobody', memory_limit_mb: '256', max_log_mb: '10' })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      const id = res.body.task.task_id
      assert.deepEqual([res.body.task.run_as, res.body.task.memory_limit_mb, res.body.task.max_log_mb], ['nobody', 256, 10])
      const got = await app.json(`/api/tasks/${id}`)
      assert.deepEqual([got.body.task.run_as, got.body.task.memory_limit_mb, got.body.task.max_log_mb], ['nobody', 256, 10])
      const stored = await app.store.tasks.findById(id)
      assert.deepEqual([stored?.runAs, stored?.memoryLimitMb, stored?.maxLogMb], ['nobody', 256, 10])

      const plain = await app.createTask({ ...later, task_name: 'plain' })
      for (const field of ['run_as', 'memory_limit_mb', 'max_log_mb']) assert.equal(field in plain.body.task, false, field)
    })

    it("an operator's run_as is spec 000's 403 on create and on PUT of its own task, and nothing changes", async (t) => {
      const app = await createTestApp(t, { dialect })
      const op = await app.addUser('op', 'operator')
      const form = new FormData()
      form.set('script_file', new Blob(['print(1)\n']), 'job.py')
      for (const [k, v] of Object.entries({ ...later, task_name: 'mine', run_as: 'root' })) form.set(k, v)
      const created = await app.jsonAs({ bearer: op.bearer }, '/api/tasks', { method: 'POST', body: form })
      assert.deepEqual([created.status, created.body], [403, forbidden])
      assert.deepEqual(await app.store.tasks.list(), [])

      const form2 = new FormData()
      form2.set('script_file', new Blob(['print(1)\n']), 'job.py')
      for (const [k, v] of Object.entries({ ...later, task_name: 'mine', memory_limit_mb: '64' })) form2.set(k, v)
      const own = await app.jsonAs({ bearer: op.bearer }, '/api/tasks', { method: 'POST', body: form2 })
      assert.equal(own.status, 201, JSON.stringify(own.body))
      const id = own.body.task.task_id
      const before = await app.store.tasks.findById(id)
      for (const runAs of ['root', null, '']) {
        const res = await put(app, id, { run_as: runAs, memory_limit_mb: 128 }, op.bearer)
        assert.deepEqual([res.status, res.body], [403, forbidden], JSON.stringify(runAs))
      }
      assert.deepEqual(await app.store.tasks.findById(id), before)
      // The limits themselves are the owner's to change.
      const limits = await put(app, id, { memory_limit_mb: 128 }, op.bearer)
      assert.equal(limits.status, 200, JSON.stringify(limits.body))
      assert.equal(limits.body.task.memory_limit_mb, 128)
    })

    it('refuses a user this host does not have, naming it, and bad limits, each with what is wrong; nothing is created', async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_MAX_LOG_BYTES: String(64 * 1024 * 1024) } })
      const cases: [Record<string, string>, unknown][] = [
        [{ run_as: 'no-such-user-here' }, invalid("run_as: there is no user 'no-such-user-here' on this host (give a user name or uid:gid)")],
        [{ run_as: 'bad name!' }, invalid("run_as: there is no user 'bad name!' on this host (give a user name or uid:gid)")],
        [{ memory_limit_mb: '0' }, invalid('memory_limit_mb must be a whole number of MiB from 1 to 1048576, got "0"')],
        [{ memory_limit_mb: '2.5' }, invalid('memory_limit_mb must be a whole number of MiB from 1 to 1048576, got "2.5"')],
        [{ memory_limit_mb: 'abc' }, invalid('memory_limit_mb must be a whole number of MiB from 1 to 1048576, got "abc"')],
        [{ memory_limit_mb: '1048577' }, invalid('memory_limit_mb must be a whole number of MiB from 1 to 1048576, got "1048577"')],
        [{ max_log_mb: '65' }, invalid('max_log_mb must be a whole number of MiB from 1 to 64 (TASKYARD_MAX_LOG_BYTES), got "65"')],
        [{ max_log_mb: '-1' }, invalid('max_log_mb must be a whole number of MiB from 1 to 64 (TASKYARD_MAX_LOG_BYTES), got "-1"')],
      ]
      for (const [fields, body] of cases) {
        const res = await app.createTask({ ...later, ...fields })
        assert.deepEqual([res.status, res.body], [400, body], JSON.stringify(fields))
      }
      assert.deepEqual(await app.store.tasks.list(), [])
    })

    it('PUT sets, changes and clears them (null or empty), refuses bad values in its own words, and changes nothing then', async (t) => {
      const app = await createTestApp(t, { dialect })
      const id = (await app.createTask({ ...later, task_name: 'job' })).body.task.task_id
      const set = await put(app, id, { run_as: '65534:65534', memory_limit_mb: '512', max_log_mb: 100 })
      assert.equal(set.status, 200, JSON.stringify(set.body))
      assert.deepEqual([set.body.task.run_as, set.body.task.memory_limit_mb, set.body.task.max_log_mb], ['65534:65534', 512, 100])
      const before = await app.store.tasks.findById(id)
      for (const [body, error] of [
        [{ run_as: 'no-such-user-here' }, "run_as: there is no user 'no-such-user-here' on this host (give a user name or uid:gid)"],
        // The route schema reads a number as its digits: a user named '5'.
        [{ run_as: 5 }, "run_as: there is no user '5' on this host (give a user name or uid:gid)"],
        [{ memory_limit_mb: 0 }, 'memory_limit_mb must be a whole number of MiB from 1 to 1048576, got 0'],
        [{ max_log_mb: 1.5, task_name: 'other' }, 'max_log_mb must be a whole number of MiB from 1 to 1024 (TASKYARD_MAX_LOG_BYTES), got 1.5'],
      ] as const) {
        const res = await put(app, id, body)
        assert.deepEqual([res.status, res.body], [400, invalidUpdate(error)], JSON.stringify(body))
      }
      assert.deepEqual(await app.store.tasks.findById(id), before)
      const cleared = await put(app, id, { run_as: null, memory_limit_mb: '', max_log_mb: null })
      assert.equal(cleared.status, 200)
      for (const field of ['run_as', 'memory_limit_mb', 'max_log_mb']) assert.equal(field in cleared.body.task, false, field)
      const stored = await app.store.tasks.findById(id)
      assert.deepEqual([stored?.runAs, stored?.memoryLimitMb, stored?.maxLogMb], [null, null, null])
    })

    it('an execution whose output hit its cap says output_truncated; others leave the field out', async (t) => {
      const app = await createTestApp(t, { dialect })
      const id = (await app.createTask({ ...later, task_name: 'job' })).body.task.task_id
      // One after the other: a forbid task has one live run at a time, even inserted directly (issue 8).
      const ended = async (queuedAt: number, outputTruncated: boolean) => {
        const run = await app.store.runs.insert({ taskId: id, priority: 5, trigger: 'manual', queuedAt })
        await app.store.runs.update(run.id, { status: 'completed', startedAt: 10, endedAt: 20, exitCode: 0, outputTruncated })
        return run
      }
      const cut = await ended(1, true)
      const whole = await ended(2, false)
      assert.equal((await app.store.runs.findById(cut.id))?.outputTruncated, true)
      assert.equal((await app.store.runs.findById(whole.id))?.outputTruncated, false)
      const got = await app.json(`/api/tasks/${id}`)
      const byId = Object.fromEntries(got.body.execution_history.map((e: any) => [e.execution_id, e]))
      assert.equal(byId[String(cut.id)].output_truncated, true)
      assert.equal('output_truncated' in byId[String(whole.id)], false)
    })
  })
}
