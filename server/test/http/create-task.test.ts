import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { spyOnWrites } from '../files/write-spy.ts'
import { runLogFile } from '../../src/logs/file-log-store.ts'

const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/

/** Nothing of a refused request may remain: no task row, no task directory, no upload, no staging. */
async function assertNothingCreated(app: TestApp): Promise<void> {
  assert.deepEqual(await app.store.tasks.list(), [])
  for (const dir of ['tasks', 'uploads', 'staging']) {
    assert.deepEqual(readdirSync(`${app.dataDir}/${dir}`), [], `${dir}/ is not empty`)
  }
}

describe('POST /api/tasks (spec 000 create)', () => {
  it('creates a task from a single script that runs now in base, and records its run', async (t) => {
    const app = await createTestApp(t)
    const res = await app.createTask({ conda_env: 'base' }, { name: 'hello.py', content: 'import sys\nprint("hi from", sys.prefix != "")\n' })
    assert.equal(res.status, 201, JSON.stringify(res.body))
    const task = res.body.task
    assert.equal(res.body.success, true)
    assert.equal(res.body.message, 'Task scheduled successfully')
    assert.equal(typeof res.body.environment_message, 'string')
    assert.deepEqual(
      { ...task, created_at: TIME.test(task.created_at), updated_at: TIME.test(task.updated_at) },
      {
        task_id: task.task_id,
        task_name: 'hello.py',
        script_path: `${app.paths.taskDir(task.task_id)}/hello.py`,
        conda_env: 'base',
        status: 'running',
        created_at: true,
        updated_at: true,
        cron_expression: null,
        delay_seconds: null,
        next_run_time: null,
        last_run_time: null,
        last_run_duration: null,
        requirements: null,
        command: 'python hello.py',
        priority: 'normal',
        priority_value: 5,
      },
    )
    const { runId } = await app.runningRun(task.task_id)
    await app.runFinished(runId)
    const detail = (await app.json(`/api/tasks/${task.task_id}`)).body
    assert.equal(detail.task.status, 'completed')
    assert.equal(detail.latest_execution.logs, 'hi from True\n')
    assert.equal(detail.latest_execution.exit_code, 0)
    assert.equal(detail.latest_execution.status, 'completed')
  })

  it('defaults a ZIP command to python main.py and runs it in the task directory', async (t) => {
    const app = await createTestApp(t)
    const { zipFiles } = await import('../helpers/zip.ts')
    const zip = await zipFiles({
      'main.py': 'import helper\nhelper.go()\n',
      'helper.py': 'def go():\n    print(open("data/x.txt").read())\n',
      'data/x.txt': 'payload',
    })
    const res = await app.createTask({ conda_env: 'base', task_name: 'zipped' }, { name: 'bundle.zip', content: zip })
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.equal(res.body.task.command, 'python main.py')
    assert.equal(res.body.task.script_path, app.paths.taskDir(res.body.task.task_id))
    const { runId } = await app.runningRun(res.body.task.task_id)
    await app.runFinished(runId)
    assert.equal(readFileSync(runLogFile(app.paths.logsDir, runId), 'utf8'), 'payload\n')
  })

  it('schedules a cron task with next_run_time, and a delayed task once', async (t) => {
    const app = await createTestApp(t)
    const cron = await app.createTask({ conda_env: 'base', task_name: 'c', cron_expression: '*/10 * * * *' })
    assert.equal(cron.status, 201)
    assert.equal(cron.body.task.status, 'scheduled')
    assert.equal(cron.body.task.cron_expression, '*/10 * * * *')
    assert.equal(cron.body.task.delay_seconds, null)
    const delayed = await app.createTask({ conda_env: 'base', task_name: 'd', delay_seconds: '3600' })
    assert.equal(delayed.body.task.status, 'scheduled')
    assert.equal(delayed.body.task.delay_seconds, 3600)
    assert.equal(delayed.body.task.cron_expression, null)

    // The cron task's next time is the first */10 slot after its creation, to the millisecond.
    const c = (await app.store.tasks.findById(cron.body.task.task_id))!
    const slot = new Date(c.createdAt)
    slot.setMinutes(Math.floor(slot.getMinutes() / 10) * 10 + 10, 0, 0)
    assert.equal(c.nextRunAt, slot.getTime())
    assert.equal(cron.body.task.next_run_time, timeText(c.nextRunAt!))
    // The delayed task runs once, 3600 s after its creation: one time, no schedule to repeat.
    const d = (await app.store.tasks.findById(delayed.body.task.task_id))!
    assert.equal(d.nextRunAt, d.createdAt + 3_600_000)
    assert.equal(delayed.body.task.next_run_time, timeText(d.nextRunAt!))
    assert.equal(d.cronExpression, null)
    assert.equal(await app.store.runs.countForTask(c.id), 0)
    assert.equal(await app.store.runs.countForTask(d.id), 0)
    const list = (await app.json('/api/tasks')).body
    assert.deepEqual(
      list.map((x: { task_name: string; status: string; next_run_time_formatted: string }) => [x.task_name, x.status, x.next_run_time_formatted]),
      [
        ['c', 'scheduled', timeText(c.nextRunAt!)],
        ['d', 'scheduled', timeText(d.nextRunAt!)],
      ],
    )
  })

  it('runs a delayed task once when its time comes', async (t) => {
    const app = await createTestApp(t)
    const res = await app.createTask({ conda_env: 'base', task_name: 'soon', delay_seconds: '1', command: 'echo later' })
    assert.equal(res.body.task.status, 'scheduled')
    const id = res.body.task.task_id
    const { createdAt } = (await app.store.tasks.findById(id))!
    const { runId } = await app.runningRun(id)
    await app.runFinished(runId)
    const task = await app.store.tasks.findById(id)
    assert.equal(task?.status, 'completed')
    assert.equal(task?.nextRunAt, null)
    // Once: one run, queued by the schedule no earlier than its time, and nothing left to fire.
    const runs = await app.store.runs.listForTask(id, 10)
    assert.deepEqual(
      runs.map((r) => [r.id, r.trigger, r.status, r.exitCode]),
      [[runId, 'schedule', 'completed', 0]],
    )
    assert.ok(runs[0]!.queuedAt >= createdAt + 1000, `queued ${runs[0]!.queuedAt - createdAt} ms after creation, before its delay`)
    assert.equal(readFileSync(runLogFile(app.paths.logsDir, runId), 'utf8'), 'later\n')
    assert.deepEqual(await app.store.tasks.listUpcoming(10), [])
    assert.equal(await app.store.tasks.nextDueAt(), null)
  })

  const refusals: [string, Record<string, string>, number, Record<string, unknown>][] = [
    [
      'both cron and delay',
      { conda_env: 'base', cron_expression: '* * * * *', delay_seconds: '5' },
      400,
      {
        success: false,
        message: 'Please specify either cron expression or delay seconds, not both',
        error: 'Cannot specify both cron_expression and delay_seconds',
      },
    ],
    [
      'a negative delay',
      { conda_env: 'base', delay_seconds: '-1' },
      400,
      {
        success: false,
        message: 'Please provide a non-negative delay value',
        error: 'Delay seconds must be non-negative',
      },
    ],
    [
      'a delay that is not a number',
      { conda_env: 'base', delay_seconds: 'soon' },
      400,
      {
        success: false,
        message: 'Please provide a valid delay value',
        error: "Delay seconds must be a whole number of seconds, got 'soon'",
      },
    ],
    [
      'reuse of a missing environment',
      { conda_env: 'nope', reuse_env: 'true' },
      400,
      {
        success: false,
        message: 'Cannot reuse non-existing environment',
        error: "Environment 'nope' not found",
      },
    ],
    ['a missing conda_env', {}, 400, { success: false, message: 'Missing required field', error: 'conda_env is required' }],
  ]
  for (const [what, fields, status, body] of refusals) {
    it(`refuses ${what} with spec 000's body and creates nothing`, async (t) => {
      const app = await createTestApp(t)
      const res = await app.createTask(fields)
      assert.equal(res.status, status)
      assert.deepEqual(res.body, body)
      await assertNothingCreated(app)
    })
  }

  it('refuses an invalid cron expression with the parser reason', async (t) => {
    const app = await createTestApp(t)
    const res = await app.createTask({ conda_env: 'base', cron_expression: '61 * * * *' })
    assert.equal(res.status, 400)
    assert.equal(res.body.message, 'The provided cron expression is invalid')
    assert.match(res.body.error, /^Invalid cron expression: .+/)
    const fields = await app.createTask({ conda_env: 'base', cron_expression: '* * *' })
    assert.equal(fields.body.error, 'Invalid cron expression: expected 5 fields (minute hour day month weekday) or 6 with seconds first, got 3')
    await assertNothingCreated(app)
  })

  it('refuses a duplicate task name and keeps the first task as it was', async (t) => {
    const app = await createTestApp(t)
    const first = await app.createTask({ conda_env: 'base', task_name: 'same', cron_expression: '0 0 1 1 *' })
    const before = await app.store.tasks.list()
    const res = await app.createTask({ conda_env: 'base', task_name: 'same' })
    assert.equal(res.status, 400)
    assert.deepEqual(res.body, { success: false, message: 'Task with this name already exists', error: "Task with name 'same' already exists" })
    assert.deepEqual(await app.store.tasks.list(), before)
    assert.deepEqual(readdirSync(`${app.dataDir}/tasks`), [String(first.body.task.task_id)])
    assert.deepEqual(readdirSync(`${app.dataDir}/uploads`), [])
  })

  it('refuses a request without a script file', async (t) => {
    const app = await createTestApp(t)
    const res = await app.createTask({ conda_env: 'base' }, null)
    assert.equal(res.status, 400)
    assert.deepEqual(res.body, { success: false, message: 'No script file provided', error: 'script_file is required' })
    await assertNothingCreated(app)
  })

  it('refuses environment names that could reach a path or a shell', async (t) => {
    const app = await createTestApp(t)
    for (const name of ['../etc', 'a b', '$(id)', '-rf', '.hidden']) {
      const res = await app.createTask({ conda_env: name })
      assert.equal(res.status, 400, name)
      assert.equal(res.body.message, 'Invalid environment name')
    }
    await assertNothingCreated(app)
  })

  it('refuses an upload over the size cap, never writes past the cap, and keeps nothing of it', async (t) => {
    const app = await createTestApp(t, { env: { TASKYARD_MAX_UPLOAD_BYTES: '1000' } })
    const spy = spyOnWrites(app.paths.uploadsDir)
    t.after(() => spy.restore())
    // 3 MB arrives in many socket reads: the server must stop writing at the cap, not at the end.
    const res = await app.createTask({ conda_env: 'base' }, { name: 'big.py', content: '#'.repeat(3_000_000) })
    spy.restore()
    assert.deepEqual(
      [res.status, res.body],
      [
        400,
        {
          success: false,
          message: 'Failed to process uploaded file',
          error: 'File is larger than the upload limit of 1000 bytes',
        },
      ],
    )
    await assertNothingCreated(app)
    assert.equal(spy.bytesByPath.size, 1, 'the upload was streamed to one file')
    assert.ok(spy.maxBytes() <= 1000, `${spy.maxBytes()} bytes reached the disk against a 1000-byte cap`)
  })

  it('refuses a ZIP whose entry escapes the task directory, naming the entry, and keeps nothing', async (t) => {
    const app = await createTestApp(t)
    const { rawZip } = await import('../helpers/zip.ts')
    const zip = rawZip([
      { name: 'main.py', content: 'print(1)' },
      { name: '../evil.py', content: 'x' },
    ])
    const res = await app.createTask({ conda_env: 'base' }, { name: 'bad.zip', content: zip })
    assert.equal(res.status, 400)
    assert.equal(res.body.message, 'Failed to process uploaded file')
    assert.match(res.body.error, /\.\.\/evil\.py/)
    await assertNothingCreated(app)
  })

  it('accepts the priority words and numbers, and refuses others', async (t) => {
    const app = await createTestApp(t)
    const high = await app.createTask({ conda_env: 'base', task_name: 'h', priority: 'high', cron_expression: '0 0 1 1 *' })
    assert.equal(high.body.task.priority, 'high')
    const num = await app.createTask({ conda_env: 'base', task_name: 'n', priority: '11', cron_expression: '0 0 1 1 *' })
    assert.deepEqual([num.body.task.priority, num.body.task.priority_value], ['low', 11])
    const bad = await app.createTask({ conda_env: 'base', task_name: 'b', priority: 'urgent' })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.message, 'Invalid priority')
  })
})

const two = (n: number): string => String(n).padStart(2, '0')
/** spec 000's `YYYY-MM-DD HH:MM:SS` in local time, written out here rather than borrowed from the server. */
function timeText(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
}
