import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { runLogFile } from '../../src/logs/file-log-store.ts'

const put = (app: TestApp, id: number, body: unknown) =>
  app.json(`/api/tasks/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

async function scheduled(app: TestApp, name = 'job'): Promise<number> {
  const res = await app.createTask({ conda_env: 'base', task_name: name, cron_expression: '0 0 1 1 *' })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.task.task_id
}

describe('PUT /api/tasks/:id (spec 000 update)', () => {
  it('updates the given fields only, switches cron to delay, and keeps the rest', async (t) => {
    const app = await createTestApp(t)
    const id = await scheduled(app)
    const before = (await app.store.tasks.findById(id))!
    const res = await put(app, id, { task_name: 'renamed', priority: 'high', delay_seconds: 7200, script: 'print("v2")\n' })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    const after = (await app.store.tasks.findById(id))!
    // Exactly the named fields (and what a new schedule implies) changed; every other column is as it was.
    assert.deepEqual(after, {
      ...before,
      name: 'renamed',
      priority: 2,
      cronExpression: null,
      delaySeconds: 7200,
      nextRunAt: after.updatedAt + 7_200_000,
      updatedAt: after.updatedAt,
    })
    assert.ok(after.updatedAt >= before.updatedAt)
    assert.deepEqual(res.body, {
      success: true,
      message: 'Task updated successfully',
      task: {
        task_id: id,
        task_name: 'renamed',
        script_path: `${app.paths.taskDir(id)}/job.py`,
        conda_env: 'base',
        status: 'scheduled',
        created_at: res.body.task.created_at,
        updated_at: res.body.task.updated_at,
        cron_expression: null,
        delay_seconds: 7200,
        next_run_time: res.body.task.next_run_time,
        last_run_time: null,
        last_run_duration: null,
        requirements: null,
        command: 'python job.py',
        priority: 'high',
        priority_value: 2,
      },
      requirements_update: null,
    })
    for (const key of ['created_at', 'updated_at', 'next_run_time'] as const) assert.match(res.body.task[key], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, key)
    assert.deepEqual(readdirSync(app.paths.taskDir(id)), ['job.py'])
    assert.equal(readFileSync(`${app.paths.taskDir(id)}/job.py`, 'utf8'), 'print("v2")\n')
    assert.equal(await app.store.runs.countForTask(id), 0)
  })

  it('refuses both cron and delay, a bad cron, and a negative delay, changing nothing', async (t) => {
    const app = await createTestApp(t)
    const id = await scheduled(app)
    const before = await app.store.tasks.findById(id)
    const both = await put(app, id, { cron_expression: '* * * * *', delay_seconds: 5 })
    assert.deepEqual(
      [both.status, both.body],
      [400, { success: false, message: 'Invalid update parameters', error: 'Cannot specify both cron_expression and delay_seconds' }],
    )
    const bad = await put(app, id, { cron_expression: 'every day' })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.message, 'Invalid update parameters')
    assert.match(bad.body.error, /^The provided cron expression is invalid: .+/)
    const neg = await put(app, id, { delay_seconds: -3, task_name: 'x' })
    assert.deepEqual(neg.body, { success: false, message: 'Invalid update parameters', error: 'Delay seconds must be non-negative' })
    assert.deepEqual(await app.store.tasks.findById(id), before)
  })

  it('refuses a missing environment with spec 000 body', async (t) => {
    const app = await createTestApp(t)
    const id = await scheduled(app)
    const res = await put(app, id, { conda_env: 'missing-env' })
    assert.deepEqual(
      [res.status, res.body],
      [
        400,
        {
          success: false,
          message: 'Environment not found',
          error: "The specified conda environment 'missing-env' does not exist",
        },
      ],
    )
  })

  it('refuses to update a running task, and 404s an unknown one', async (t) => {
    const app = await createTestApp(t)
    const res = await app.createTask({ conda_env: 'base', task_name: 'run', command: 'sleep 30' })
    await app.runningRun(res.body.task.task_id)
    const refused = await put(app, res.body.task.task_id, { task_name: 'nope' })
    assert.deepEqual(
      [refused.status, refused.body],
      [
        400,
        {
          success: false,
          message: 'Task cannot be updated',
          error: 'Cannot update a task that is currently running',
          current_status: 'running',
        },
      ],
    )
    const missing = await put(app, 12345, { task_name: 'x' })
    assert.deepEqual([missing.status, missing.body], [404, { success: false, message: 'Task with ID 12345 not found' }])
  })

  it('refuses a name another task has', async (t) => {
    const app = await createTestApp(t)
    await scheduled(app, 'a')
    const b = await scheduled(app, 'b')
    const res = await put(app, b, { task_name: 'a' })
    assert.deepEqual(
      [res.status, res.body],
      [400, { success: false, message: 'Task with this name already exists', error: "Task with name 'a' already exists" }],
    )
  })
})

describe('POST /api/tasks/:id/update-script (spec 000)', () => {
  const upload = (app: TestApp, id: number, fields: Record<string, string>, file?: { name: string; content: string }) => {
    const form = new FormData()
    if (file) form.set('script_file', new Blob([file.content]), file.name)
    for (const [k, v] of Object.entries(fields)) form.set(k, v)
    return app.json(`/api/tasks/${id}/update-script`, { method: 'POST', body: form })
  }

  it('refuses a scheduled task without force, naming its status', async (t) => {
    const app = await createTestApp(t)
    const id = await scheduled(app)
    const res = await upload(app, id, {}, { name: 'new.py', content: 'print(2)' })
    assert.deepEqual(
      [res.status, res.body],
      [
        400,
        {
          success: false,
          message: 'Task script cannot be updated',
          error: "Cannot update a task with status: 'scheduled'",
          current_status: 'scheduled',
        },
      ],
    )
    assert.deepEqual(readdirSync(app.paths.taskDir(id)), ['job.py'])
    assert.deepEqual(readdirSync(`${app.dataDir}/uploads`), [])
  })

  it('with force stops the running task, replaces every file, leaves it paused, and follows the default command', async (t) => {
    const app = await createTestApp(t)
    const created = await app.createTask({ conda_env: 'base', task_name: 'r' }, { name: 'old.py', content: 'import time\ntime.sleep(100)\n' })
    const id = created.body.task.task_id
    const { runId } = await app.runningRun(id)
    const res = await upload(app, id, { force: 'true' }, { name: 'new.py', content: 'print("new")\n' })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.deepEqual(res.body, {
      success: true,
      message: 'Task script updated successfully',
      task: { task_id: id, task_name: 'r', script_path: `${app.paths.taskDir(id)}/new.py`, command: 'python new.py', status: 'paused' },
      updated_files: ['new.py'],
    })
    assert.equal((await app.store.runs.findById(runId))?.status, 'cancelled')
    assert.deepEqual(readdirSync(app.paths.taskDir(id)), ['new.py'])
    const resumed = await app.json(`/api/tasks/${id}/resume`, { method: 'POST' })
    assert.equal(resumed.body.task.status, 'running')
    const next = await app.runningRun(id)
    await app.runFinished(next.runId)
    assert.equal(readFileSync(runLogFile(app.paths.logsDir, next.runId), 'utf8'), 'new\n')
  })

  it('refuses a request without a file', async (t) => {
    const app = await createTestApp(t)
    const id = await scheduled(app)
    const res = await upload(app, id, { force: 'true' })
    assert.deepEqual([res.status, res.body], [400, { success: false, message: 'No script file provided', error: 'Script file is required for update' }])
    assert.equal((await app.store.tasks.findById(id))?.status, 'scheduled')
  })
})
