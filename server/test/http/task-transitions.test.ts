/**
 * Every task action × every task status, through the HTTP API of a running Taskyard. The
 * expected table is written out here from spec 000 (not read from domain/task-actions.ts), so a
 * change to the production table that the spec does not allow fails one named case. Statuses are
 * seeded through the store. A refused pair answers spec 000's body and changes nothing; an
 * allowed pair answers spec 000's success body and does what it says.
 */
import assert from 'node:assert/strict'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { describe, it, type TestContext } from 'node:test'
import { TASK_STATUSES, type Task, type TaskStatus } from '../../src/domain/task.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

type Action = 'trigger' | 'stop' | 'pause' | 'resume' | 'delete' | 'update' | 'update-script' | 'update-script --force'

/**
 * spec 000: trigger from scheduled/paused/stopped (and finished tasks, which can be run again);
 * pause a running or scheduled task; resume only a paused one; stop running, scheduled or paused
 * work; delete and update anything not running; update-script needs force for running and
 * scheduled tasks.
 */
const ALLOWED: Record<Action, readonly TaskStatus[]> = {
  trigger: ['scheduled', 'paused', 'stopped', 'completed', 'failed'],
  stop: ['scheduled', 'running', 'paused'],
  pause: ['scheduled', 'running'],
  resume: ['paused'],
  delete: ['scheduled', 'paused', 'stopped', 'completed', 'failed'],
  update: ['scheduled', 'paused', 'stopped', 'completed', 'failed'],
  'update-script': ['paused', 'stopped', 'completed', 'failed'],
  'update-script --force': ['scheduled', 'running', 'paused', 'stopped', 'completed', 'failed'],
}

/** spec 000's refusal bodies, word for word. */
function refusalBody(action: Action, status: TaskStatus): Record<string, unknown> {
  const body = (message: string, error: string) => ({ success: false, message, error, current_status: status })
  switch (action) {
    case 'trigger':
      return body('Task cannot be triggered', `Cannot trigger a task with status: '${status}'`)
    case 'stop':
      return body('Task cannot be stopped', `Cannot stop a task with status: '${status}'`)
    case 'pause':
      return body('Task cannot be paused', `Cannot pause a task with status: '${status}'`)
    case 'resume':
      return body('Task is not paused', `Cannot resume a task with status: '${status}'`)
    case 'delete':
      return body('Task cannot be deleted', 'Cannot delete a task that is currently running')
    case 'update':
      return body('Task cannot be updated', 'Cannot update a task that is currently running')
    default:
      return body('Task script cannot be updated', `Cannot update a task with status: '${status}'`)
  }
}

const SCHEDULE_AT = new Date(2099, 0, 1, 0, 0, 7).getTime()
const SCHEDULE_AT_TEXT = '2099-01-01 00:00:07'
const CREATED_AT = new Date(2023, 10, 14, 22, 13, 20).getTime()
const CREATED_AT_TEXT = '2023-11-14 22:13:20'
const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/

/**
 * A task in `status` as the service leaves such a task: a scheduled one waits on its cron
 * schedule (far away, so the scheduler never fires during the test); every other one is a
 * one-off task with nothing pending. Each has one finished run and its file on disk, so
 * "nothing changed" has something to compare.
 */
async function seedTask(app: TestApp, name: string, status: TaskStatus): Promise<Task> {
  const scheduled = status === 'scheduled'
  const task = await app.store.tasks.insert({
    name,
    source: 'file',
    scriptFile: 'job.py',
    command: 'true',
    condaEnv: 'base',
    requirements: null,
    cronExpression: scheduled ? '0 0 1 1 *' : null,
    delaySeconds: null,
    priority: 5,
    status,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    nextRunAt: scheduled ? SCHEDULE_AT : null,
    ownerId: null,
  })
  const run = await app.store.runs.insert({ taskId: task.id, priority: 5, trigger: 'create', queuedAt: 1_700_000_000_000 })
  await app.store.runs.update(run.id, { status: 'completed', startedAt: 1_700_000_000_001, endedAt: 1_700_000_001_000, exitCode: 0 })
  await mkdir(app.paths.taskDir(task.id), { recursive: true })
  await writeFile(`${app.paths.taskDir(task.id)}/job.py`, 'print("old")\n')
  return (await app.store.tasks.findById(task.id))!
}

function request(app: TestApp, action: Action, taskId: number): Promise<{ status: number; body: any }> {
  switch (action) {
    case 'delete':
      return app.json(`/api/tasks/${taskId}`, { method: 'DELETE' })
    case 'update':
      return app.json(`/api/tasks/${taskId}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ command: 'echo updated' }),
      })
    case 'update-script':
    case 'update-script --force': {
      const form = new FormData()
      form.set('script_file', new Blob(['print("new")\n']), 'new.py')
      if (action === 'update-script --force') form.set('force', 'true')
      return app.json(`/api/tasks/${taskId}/update-script`, { method: 'POST', body: form })
    }
    default:
      return app.json(`/api/tasks/${taskId}/${action}`, { method: 'POST' })
  }
}

/** What the store and the disk hold of a task: equal snapshots, nothing changed. */
async function snapshot(app: TestApp, taskId: number) {
  return {
    task: await app.store.tasks.findById(taskId),
    runs: await app.store.runs.listForTask(taskId, 100),
    files: await readdir(app.paths.taskDir(taskId)),
    uploads: await readdir(app.paths.uploadsDir),
  }
}

/** The status an allowed action leaves the seeded task in, as spec 000 words it. */
const RESULT_STATUS: Record<Exclude<Action, 'delete' | 'update' | 'update-script' | 'update-script --force'>, TaskStatus> = {
  trigger: 'running',
  stop: 'stopped',
  pause: 'paused',
  resume: 'running',
}

async function assertAllowed(
  t: TestContext,
  app: TestApp,
  action: Action,
  task: Task,
  before: Awaited<ReturnType<typeof snapshot>>,
  res: { status: number; body: any },
): Promise<void> {
  assert.equal(res.status, 200, JSON.stringify(res.body))
  const [oldRun] = before.runs
  if (action === 'delete') {
    assert.deepEqual(res.body, { success: true, message: 'Task deleted successfully', task_id: task.id })
    assert.equal(await app.store.tasks.findById(task.id), undefined)
    assert.equal(await app.store.runs.findById(oldRun!.id), undefined)
    return
  }
  const after = await snapshot(app, task.id)
  if (action === 'update') {
    const expected = {
      task_id: task.id,
      task_name: task.name,
      script_path: `${app.paths.taskDir(task.id)}/job.py`,
      conda_env: 'base',
      status: task.status,
      created_at: CREATED_AT_TEXT,
      updated_at: res.body.task.updated_at,
      cron_expression: task.cronExpression,
      delay_seconds: null,
      next_run_time: task.nextRunAt === null ? null : SCHEDULE_AT_TEXT,
      last_run_time: null,
      last_run_duration: null,
      requirements: null,
      command: 'echo updated',
      priority: 'normal',
      priority_value: 5,
    }
    assert.deepEqual(res.body, { success: true, message: 'Task updated successfully', task: expected, requirements_update: null })
    assert.match(res.body.task.updated_at, TIME)
    assert.deepEqual(after.task, { ...task, command: 'echo updated', updatedAt: after.task!.updatedAt })
    assert.deepEqual(after.runs, before.runs)
    return
  }
  if (action === 'update-script' || action === 'update-script --force') {
    // spec 000: a forced update stops running or scheduled work and leaves the task paused.
    const status = ALLOWED['update-script'].includes(task.status) ? task.status : 'paused'
    assert.deepEqual(res.body, {
      success: true,
      message: 'Task script updated successfully',
      task: { task_id: task.id, task_name: task.name, script_path: `${app.paths.taskDir(task.id)}/new.py`, command: 'true', status },
      updated_files: ['new.py'],
    })
    assert.equal(after.task?.status, status)
    assert.deepEqual(after.files, ['new.py'])
    assert.deepEqual(after.runs, before.runs)
    return
  }
  const status = RESULT_STATUS[action]
  assert.deepEqual(res.body, {
    success: true,
    message: `Task ${{ trigger: 'triggered', stop: 'stopped', pause: 'paused', resume: 'resumed' }[action]} successfully`,
    task: { task_id: task.id, task_name: task.name, status, previous_status: task.status },
  })
  if (action === 'trigger' || action === 'resume') {
    // A new run was queued; it runs `true` and ends. A cron task keeps its schedule.
    const run = after.runs[0]!
    assert.notEqual(run.id, oldRun!.id)
    assert.equal(after.runs.length, 2)
    assert.equal(run.trigger, action === 'trigger' ? 'manual' : 'resume')
    await app.runFinished(run.id)
    assert.equal((await app.store.runs.findById(run.id))?.status, 'completed')
    assert.equal(after.task?.nextRunAt, task.nextRunAt)
  } else {
    assert.equal(after.task?.status, status)
    assert.deepEqual(after.runs, before.runs)
    // stop takes the task off the schedule; pause keeps its settings, off the schedule.
    if (action === 'stop') assert.equal(after.task?.nextRunAt, null)
    assert.equal(after.task?.cronExpression, task.cronExpression)
  }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: every task action from every task status (spec 000 transition table)`, () => {
    it('refuses each pair the table refuses with spec 000 body and no change; performs each pair it allows', async (t) => {
      const app = await createTestApp(t, { dialect })
      let n = 0
      for (const action of Object.keys(ALLOWED) as Action[]) {
        for (const status of TASK_STATUSES) {
          const allowed = ALLOWED[action].includes(status)
          await t.test(`${action} from ${status}: ${allowed ? 'allowed' : 'refused'}`, async (st) => {
            const task = await seedTask(app, `t${++n}`, status)
            const before = await snapshot(app, task.id)
            const res = await request(app, action, task.id)
            if (!allowed) {
              assert.deepEqual([res.status, res.body], [400, refusalBody(action, status)])
              assert.deepEqual(await snapshot(app, task.id), before)
              return
            }
            await assertAllowed(st, app, action, task, before, res)
          })
        }
      }
    })

    it('covers every status the domain knows', () => {
      assert.deepEqual([...TASK_STATUSES].sort(), ['completed', 'failed', 'paused', 'running', 'scheduled', 'stopped'])
    })
  })
}
