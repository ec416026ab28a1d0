import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { describe, it } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { rawZip, zipFiles } from '../helpers/zip.ts'

/** Everything a refused request could have changed: task rows, runs, and the data folders. */
async function snapshot(app: TestApp): Promise<unknown> {
  const tasks = await app.store.tasks.list()
  const runs = await Promise.all(tasks.map((t) => app.store.runs.countForTask(t.id)))
  const dirs = Object.fromEntries(['tasks', 'uploads', 'staging'].map((d) => [d, readdirSync(`${app.dataDir}/${d}`).sort()]))
  return { tasks, runs, dirs }
}

const put = (app: TestApp, id: number, body: unknown) =>
  app.json(`/api/tasks/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

const CREATE_FIELDS = [
  'script_file',
  'conda_env',
  'task_name',
  'requirements_file',
  'requirements',
  'reuse_env',
  'cron_expression',
  'delay_seconds',
  'command',
  'priority',
  'run_as',
  'memory_limit_mb',
  'max_log_mb',
  'task_type',
  'labels',
  'time_zone',
  'misfire',
  'timeout_seconds',
  'interactive',
  'node_version',
  'max_retries',
  'retry_backoff_seconds',
  'retry_max_backoff_seconds',
  'concurrency',
]
const PUT_FIELDS = [
  'task_name',
  'script',
  'conda_env',
  'cron_expression',
  'requirements',
  'delay_seconds',
  'priority',
  'command',
  'run_as',
  'memory_limit_mb',
  'max_log_mb',
  'task_type',
  'labels',
  'time_zone',
  'misfire',
  'interactive',
  'node_version',
  'timeout_seconds',
  'max_retries',
  'retry_backoff_seconds',
  'retry_max_backoff_seconds',
  'concurrency',
]

for (const dialect of testDialects()) {
  describe(`${dialect.name}: schedule input (issue 6 item 7)`, { skip: dialect.skip }, () => {
    it('refuses delays that are not whole seconds from 0 to 10 years, on create and PUT, and changes nothing', async (t) => {
      const app = await createTestApp(t, { dialect })
      const existing = await app.createTask({ conda_env: 'base', task_name: 'kept', cron_expression: '0 0 1 1 *' })
      assert.equal(existing.status, 201, JSON.stringify(existing.body))
      const id = existing.body.task.task_id as number
      const before = await snapshot(app)
      const whole = (v: string) => `Delay seconds must be a whole number of seconds, got ${v}`
      const tooLong = (v: string) => `Delay seconds must be at most 315360000 (10 years), got ${v}`
      const cases: Array<[string, string]> = [
        ['1e30', whole("'1e30'")],
        ['1e12', whole("'1e12'")],
        ['1000000000000', tooLong("'1000000000000'")],
        ['2147483648', tooLong("'2147483648'")],
        ['315360001', tooLong("'315360001'")],
        ['2.5', whole("'2.5'")],
        ['abc', whole("'abc'")],
        ['0x10', whole("'0x10'")],
        ['Infinity', whole("'Infinity'")],
        ['', whole("''")],
        ['  ', whole("'  '")],
      ]
      for (const [value, error] of cases) {
        const res = await app.createTask({ conda_env: 'base', task_name: `d-${value}`, delay_seconds: value })
        assert.deepEqual(
          [res.status, res.body],
          [400, { success: false, message: 'Please provide a valid delay value', error }],
          `create ${JSON.stringify(value)}`,
        )
        const upd = await put(app, id, { delay_seconds: value })
        assert.deepEqual([upd.status, upd.body], [400, { success: false, message: 'Invalid update parameters', error }], `PUT ${JSON.stringify(value)}`)
      }
      for (const [value, error] of [
        [1e30, tooLong('1e+30')],
        [2.5, whole('2.5')],
        [2147483648, tooLong('2147483648')],
      ] as const) {
        const upd = await put(app, id, { delay_seconds: value })
        assert.deepEqual([upd.status, upd.body], [400, { success: false, message: 'Invalid update parameters', error }], `PUT ${value}`)
      }
      // spec 000's words stay for a negative delay.
      const negative = await app.createTask({ conda_env: 'base', task_name: 'neg', delay_seconds: '-2.5' })
      assert.deepEqual(
        [negative.status, negative.body],
        [400, { success: false, message: 'Please provide a non-negative delay value', error: 'Delay seconds must be non-negative' }],
      )
      assert.deepEqual(await snapshot(app), before)

      // The largest accepted delay is stored and shown as a real date on both dialects.
      const max = await app.createTask({ conda_env: 'base', task_name: 'max', delay_seconds: '315360000' })
      assert.equal(max.status, 201, JSON.stringify(max.body))
      assert.equal(max.body.task.delay_seconds, 315360000)
      const years = Number(max.body.task.next_run_time.slice(0, 4)) - new Date().getFullYear()
      assert.ok(years >= 9 && years <= 10, max.body.task.next_run_time)
      const viaPut = await put(app, id, { delay_seconds: 315360000 })
      assert.equal(viaPut.status, 200, JSON.stringify(viaPut.body))
      assert.equal((await app.store.tasks.findById(id))?.delaySeconds, 315360000)
    })

    it('refuses cron expressions that never fire and blank ones, in bounded time, and changes nothing', async (t) => {
      const app = await createTestApp(t, { dialect })
      const existing = await app.createTask({ conda_env: 'base', task_name: 'kept', delay_seconds: '3600' })
      const id = existing.body.task.task_id as number
      const before = await snapshot(app)
      const cases: Array<[string, string]> = [
        ['0 0 30 2 *', "'0 0 30 2 *' never fires (no date matches it, e.g. 30 February)"],
        ['0 0 31 4,6 *', "'0 0 31 4,6 *' never fires (no date matches it, e.g. 30 February)"],
        ['', 'the expression is empty'],
        ['   ', 'the expression is empty'],
      ]
      for (const [expression, reason] of cases) {
        const started = Date.now()
        const res = await app.createTask({ conda_env: 'base', task_name: 'c', cron_expression: expression })
        assert.deepEqual(
          [res.status, res.body],
          [
            400,
            {
              success: false,
              message: 'The provided cron expression is invalid',
              error: `Invalid cron expression: ${reason}`,
            },
          ],
          JSON.stringify(expression),
        )
        const upd = await put(app, id, { cron_expression: expression })
        assert.deepEqual(
          [upd.status, upd.body],
          [
            400,
            {
              success: false,
              message: 'Invalid update parameters',
              error: `The provided cron expression is invalid: ${reason}`,
            },
          ],
        )
        assert.ok(Date.now() - started < 5000, `${expression} took ${Date.now() - started} ms`)
      }
      assert.deepEqual(await snapshot(app), before)
    })

    it('refuses a priority named after an inherited object key (toString, constructor…) with a 400', async (t) => {
      const app = await createTestApp(t, { dialect })
      const existing = await app.createTask({ conda_env: 'base', task_name: 'kept', delay_seconds: '3600' })
      const id = existing.body.task.task_id as number
      const before = await snapshot(app)
      for (const word of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
        const error = `Priority must be 'low', 'normal', 'high' or an integer from 0 to 11, got "${word}"`
        const res = await app.createTask({ conda_env: 'base', task_name: 'p', priority: word })
        assert.deepEqual([res.status, res.body], [400, { success: false, message: 'Invalid priority', error }], word)
        const upd = await put(app, id, { priority: word })
        assert.deepEqual([upd.status, upd.body], [400, { success: false, message: 'Invalid update parameters', error }], word)
      }
      assert.deepEqual(await snapshot(app), before)
    })
  })
}

describe('unknown fields are refused by name (issue 6 item 7)', () => {
  it('create: a misspelt cron_expression is refused, nothing runs and nothing is kept', async (t) => {
    const app = await createTestApp(t)
    const res = await app.createTask({ conda_env: 'base', task_name: 'typo', cron_expresion: '*/5 * * * *', colour: 'red' })
    assert.deepEqual(
      [res.status, res.body],
      [
        400,
        {
          success: false,
          message: 'Unknown fields in request',
          error: `Unknown fields 'cron_expresion', 'colour'; accepted fields: ${CREATE_FIELDS.join(', ')}`,
          unknown_fields: ['cron_expresion', 'colour'],
          accepted_fields: CREATE_FIELDS,
        },
      ],
    )
    assert.deepEqual(await snapshot(app), { tasks: [], runs: [], dirs: { tasks: [], uploads: [], staging: [] } })
    // An unknown file part is refused too, and its bytes are not kept.
    const form = new FormData()
    form.set('script_file', new Blob(['print(1)\n']), 'a.py')
    form.set('conda_env', 'base')
    form.set('attachment', new Blob(['x'.repeat(100_000)]), 'big.bin')
    const file = await app.json('/api/tasks', { method: 'POST', body: form })
    assert.equal(file.status, 400)
    assert.deepEqual(file.body.unknown_fields, ['attachment'])
    assert.deepEqual(await snapshot(app), { tasks: [], runs: [], dirs: { tasks: [], uploads: [], staging: [] } })
  })

  it('PUT, update-script, actions and other JSON routes refuse fields they do not know, changing nothing', async (t) => {
    const app = await createTestApp(t)
    const created = await app.createTask({ conda_env: 'base', task_name: 'kept', cron_expression: '0 0 1 1 *' })
    const id = created.body.task.task_id as number
    const before = await snapshot(app)
    const upd = await put(app, id, { task_name: 'renamed', cron_expresion: '* * * * *' })
    assert.deepEqual(
      [upd.status, upd.body],
      [
        400,
        {
          success: false,
          message: 'Unknown fields in request',
          error: `Unknown field 'cron_expresion'; accepted fields: ${PUT_FIELDS.join(', ')}`,
          unknown_fields: ['cron_expresion'],
          accepted_fields: PUT_FIELDS,
        },
      ],
    )
    const form = new FormData()
    form.set('script_file', new Blob(['print(2)\n']), 'job.py')
    form.set('forse', 'true')
    const script = await app.json(`/api/tasks/${id}/update-script`, { method: 'POST', body: form })
    assert.deepEqual([script.status, script.body.unknown_fields, script.body.accepted_fields], [400, ['forse'], ['script_file', 'command', 'force']])
    const trigger = await app.json(`/api/tasks/${id}/trigger`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ force: true }),
    })
    assert.deepEqual(
      [trigger.status, trigger.body],
      [
        400,
        {
          success: false,
          message: 'Unknown fields in request',
          error: "Unknown field 'force'; accepted fields: none",
          unknown_fields: ['force'],
          accepted_fields: [],
        },
      ],
    )
    const user = await app.json('/api/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'u1', password: 'u1-password-1', role: 'viewer', rol: 'admin' }),
    })
    assert.equal(user.status, 400)
    assert.deepEqual(user.body.unknown_fields, ['rol'])
    assert.deepEqual(await snapshot(app), before)
    assert.deepEqual(
      (await app.json('/api/users')).body.users.map((u: { username: string }) => u.username),
      ['admin'],
    )
  })
})

describe('ids have one spelling (issue 6 item 7)', () => {
  it('answers 404 for 0x1, 1e0, 01, +1, " 1" and 1.0, never task or run 1', async (t) => {
    const app = await createTestApp(t)
    const created = await app.createTask({ conda_env: 'base', task_name: 'one', command: 'echo one' })
    const id = created.body.task.task_id as number
    assert.equal(id, 1)
    const { runId } = await app.runningRun(id)
    await app.runFinished(runId)
    assert.equal(runId, 1)
    const before = await snapshot(app)
    for (const raw of ['0x1', '1e0', '01', '+1', '%201', '1.0', '0', '1%20']) {
      const shown = decodeURIComponent(raw)
      const get = await app.json(`/api/tasks/${raw}`)
      assert.deepEqual([get.status, get.body], [404, { success: false, message: `Task with ID ${shown} not found` }], raw)
      const trigger = await app.json(`/api/tasks/${raw}/trigger`, { method: 'POST' })
      assert.deepEqual([trigger.status, trigger.body], [404, { success: false, message: `Task with ID ${shown} not found` }], raw)
      for (const url of [`/api/tasks/${raw}/executions/1/logs`, `/api/tasks/1/executions/${raw}/logs`]) {
        const logs = await app.json(url)
        assert.deepEqual([logs.status, logs.body], [404, { success: false, message: 'Task execution with ID not found' }], url)
      }
    }
    assert.deepEqual(await snapshot(app), before)
    assert.equal((await app.json('/api/tasks/1')).status, 200)
  })
})

describe('uploads (issue 6 item 7)', () => {
  it('picks the default command by extension and asks for one when it cannot tell', async (t) => {
    const app = await createTestApp(t)
    const sh = await app.createTask({ conda_env: 'base', task_name: 'sh' }, { name: 'run.sh', content: 'echo "from sh $0"\n' })
    assert.equal(sh.body.task.command, 'sh run.sh')
    const js = await app.createTask({ conda_env: 'base', task_name: 'js' }, { name: 'app.mjs', content: 'console.log("from node")\n' })
    assert.equal(js.body.task.command, 'node app.mjs')
    for (const [res, log] of [
      [sh, 'from sh run.sh\n'],
      [js, 'from node\n'],
    ] as const) {
      const { runId } = await app.runningRun(res.body.task.task_id)
      await app.runFinished(runId)
      assert.equal((await app.json(`/api/tasks/${res.body.task.task_id}/executions/${runId}/logs`)).body.logs, log)
    }
    const before = await snapshot(app)
    const txt = await app.createTask({ conda_env: 'base', task_name: 'txt' }, { name: 'notes.txt', content: 'hello\n' })
    assert.deepEqual(
      [txt.status, txt.body],
      [
        400,
        {
          success: false,
          message: 'Missing required field',
          error: "command is required: Taskyard does not know how to run 'notes.txt' (it runs .py with python, .sh with sh, .js and .mjs with node)",
        },
      ],
    )
    assert.deepEqual(await snapshot(app), before)
    const withCommand = await app.createTask({ conda_env: 'base', task_name: 'txt', command: 'cat notes.txt' }, { name: 'notes.txt', content: 'hello\n' })
    assert.equal(withCommand.status, 201, JSON.stringify(withCommand.body))
  })

  it('refuses an empty ZIP, control characters in entry names, and a ZIP without the file its command runs', async (t) => {
    const app = await createTestApp(t)
    const before = await snapshot(app)
    const failed = (error: string) => [400, { success: false, message: 'Failed to process uploaded file', error }]
    const empty = await app.createTask({ conda_env: 'base' }, { name: 'empty.zip', content: rawZip([]) })
    assert.deepEqual([empty.status, empty.body], failed('The ZIP archive holds no files'))
    const control = await app.createTask(
      { conda_env: 'base' },
      {
        name: 'c.zip',
        content: rawZip([
          { name: 'main.py', content: 'x' },
          { name: 'evil\nname.py', content: 'x' },
        ]),
      },
    )
    assert.deepEqual([control.status, control.body], failed("Entry 'evil\\u000aname.py' has control characters in its name"))
    const noMain = await app.createTask({ conda_env: 'base' }, { name: 'b.zip', content: await zipFiles({ 'run.py': 'print(1)\n', 'lib.py': '' }) })
    assert.deepEqual(
      [noMain.status, noMain.body],
      failed(
        "The command 'python main.py' runs 'main.py', which the upload does not contain (it holds: lib.py, run.py); give a command that names one of its files",
      ),
    )
    const named = await app.createTask(
      { conda_env: 'base', command: 'python3 ./start.py --fast' },
      { name: 'b.zip', content: await zipFiles({ 'run.py': 'print(1)\n' }) },
    )
    assert.deepEqual(
      [named.status, named.body],
      failed(
        "The command 'python3 ./start.py --fast' runs 'start.py', which the upload does not contain (it holds: run.py); give a command that names one of its files",
      ),
    )
    const single = await app.createTask({ conda_env: 'base', command: 'python main.py' }, { name: 'job.py', content: 'print(1)\n' })
    assert.deepEqual(
      [single.status, single.body],
      failed("The command 'python main.py' runs 'main.py', which the upload does not contain (it holds: job.py); give a command that names one of its files"),
    )
    assert.deepEqual(await snapshot(app), before)
    // Commands that name no file plainly are the user's to get right.
    const free = await app.createTask(
      { conda_env: 'base', task_name: 'free', command: 'python -c "print(1)"' },
      { name: 'b.zip', content: await zipFiles({ 'run.py': '' }) },
    )
    assert.equal(free.status, 201, JSON.stringify(free.body))
  })

  it('runs a ZIP whose files all sit under one top-level folder from inside that folder', async (t) => {
    const app = await createTestApp(t)
    const zip = await zipFiles({ 'proj/main.py': 'print(open("data/x.txt").read())\n', 'proj/data/x.txt': 'inside' })
    const res = await app.createTask({ conda_env: 'base', task_name: 'folder' }, { name: 'proj.zip', content: zip })
    assert.equal(res.status, 201, JSON.stringify(res.body))
    const taskId = res.body.task.task_id as number
    assert.deepEqual(readdirSync(app.paths.taskDir(taskId)).sort(), ['data', 'main.py'])
    const { runId } = await app.runningRun(taskId)
    await app.runFinished(runId)
    assert.equal((await app.json(`/api/tasks/${taskId}/executions/${runId}/logs`)).body.logs, 'inside\n')
  })
})

describe('update-script checks the new files before it stops anything (issue 6 item 7)', () => {
  it('refuses a ZIP without the file the command runs, or a file with no known interpreter, and the run goes on', async (t) => {
    const app = await createTestApp(t)
    const created = await app.createTask({ conda_env: 'base', task_name: 'live', command: 'sleep 30' })
    const id = created.body.task.task_id as number
    const { runId, pid } = await app.runningRun(id)
    const before = await snapshot(app)
    const send = async (fields: Record<string, string>, name: string, content: Uint8Array | string) => {
      const form = new FormData()
      form.set('script_file', new Blob([content]), name)
      for (const [k, v] of Object.entries(fields)) form.set(k, v)
      return app.json(`/api/tasks/${id}/update-script`, { method: 'POST', body: form })
    }
    const noFile = await send({ force: 'true', command: 'python main.py' }, 'b.zip', await zipFiles({ 'other.py': '' }))
    assert.deepEqual(
      [noFile.status, noFile.body],
      [
        400,
        {
          success: false,
          message: 'Failed to process uploaded file',
          error:
            "The command 'python main.py' runs 'main.py', which the upload does not contain (it holds: other.py); give a command that names one of its files",
        },
      ],
    )
    const empty = await send({ force: 'true' }, 'e.zip', rawZip([]))
    assert.deepEqual([empty.status, empty.body.error], [400, 'The ZIP archive holds no files'])
    assert.deepEqual(await snapshot(app), before)
    assert.equal((await app.store.runs.findById(runId))?.status, 'running')
    process.kill(pid, 0)
    await app.json(`/api/tasks/${id}/stop`, { method: 'POST' })

    // A task on its default command that gets a file with no known interpreter must be told how to run it.
    const py = await app.createTask({ conda_env: 'base', task_name: 'py', delay_seconds: '3600' }, { name: 'job.py', content: 'print(1)\n' })
    const pyId = py.body.task.task_id as number
    await app.json(`/api/tasks/${pyId}/pause`, { method: 'POST' })
    const form = new FormData()
    form.set('script_file', new Blob(['data']), 'data.csv')
    const csv = await app.json(`/api/tasks/${pyId}/update-script`, { method: 'POST', body: form })
    assert.deepEqual(
      [csv.status, csv.body],
      [
        400,
        {
          success: false,
          message: 'Missing required field',
          error: "command is required: Taskyard does not know how to run 'data.csv' (it runs .py with python, .sh with sh, .js and .mjs with node)",
        },
      ],
    )
    assert.equal((await app.store.tasks.findById(pyId))?.command, 'python job.py')
    const sh = new FormData()
    sh.set('script_file', new Blob(['echo hi\n']), 'run.sh')
    const ok = await app.json(`/api/tasks/${pyId}/update-script`, { method: 'POST', body: sh })
    assert.deepEqual([ok.status, ok.body.task.command, ok.body.updated_files], [200, 'sh run.sh', ['run.sh']])
  })
})
