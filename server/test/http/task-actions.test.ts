import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { isPaused, waitForPausedProcess } from '../executor/start-test-run.ts'
import { runLogFile } from '../../src/logs/file-log-store.ts'

/** The one-letter state of a process (R, S, T…), or null when it is gone. */
function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  } catch {
    return null
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return processState(pid) !== 'Z'
  } catch {
    return false
  }
}

/**
 * Polls /proc (no event exists for another process's state) until `wanted` holds. The deadline
 * bounds a failure only; it is wall-clock, not a count of loop turns, which a loaded machine
 * can burn through before a signal is even delivered.
 */
async function waitForState(pid: number, wanted: (s: string | null) => boolean, deadlineMs = 10_000): Promise<string | null> {
  const until = Date.now() + deadlineMs
  for (;;) {
    const s = processState(pid)
    if (wanted(s) || Date.now() > until) return s
    await new Promise((r) => setTimeout(r, 2))
  }
}

async function createRunning(
  app: TestApp,
  name: string,
  command: string,
  fields: Record<string, string> = {},
): Promise<{ taskId: number; runId: number; pid: number }> {
  const res = await app.createTask({ conda_env: 'base', task_name: name, command, ...fields })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  const taskId = res.body.task.task_id as number
  const { runId, pid } = await app.runningRun(taskId)
  return { taskId, runId, pid }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: task actions (spec 000)`, { skip: dialect.skip }, () => {
    it('triggers a completed task: a new run, status running, previous status in the body', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { taskId, runId } = await createRunning(app, 'once', 'echo first')
      await app.runFinished(runId)
      assert.equal((await app.json(`/api/tasks/${taskId}`)).body.task.status, 'completed')

      const res = await app.json(`/api/tasks/${taskId}/trigger`, { method: 'POST' })
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, {
        success: true,
        message: 'Task triggered successfully',
        task: { task_id: taskId, task_name: 'once', status: 'running', previous_status: 'completed' },
      })
      const second = (await app.store.runs.listForTask(taskId, 10))[0]!
      assert.notEqual(second.id, runId)
      await app.runFinished(second.id)
      assert.equal(await app.store.runs.countForTask(taskId), 2)
    })

    it('refuses to trigger a running task and changes nothing', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { taskId } = await createRunning(app, 'busy', 'sleep 30')
      const res = await app.json(`/api/tasks/${taskId}/trigger`, { method: 'POST' })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        success: false,
        message: 'Task cannot be triggered',
        error: "Cannot trigger a task with status: 'running'",
        current_status: 'running',
      })
      assert.equal(await app.store.runs.countForTask(taskId), 1)
    })

    it('answers 404 with spec 000 body for unknown and malformed ids on every action', async (t) => {
      const app = await createTestApp(t, { dialect })
      // A real task 1 exists, so an id that is read loosely ('1e0', '0x1', ' 1') would find it.
      const real = await app.createTask({ conda_env: 'base', task_name: 'one', cron_expression: '0 0 1 1 *' })
      assert.equal(real.body.task.task_id, 1)
      const before = await app.store.tasks.findById(1)
      const form = () => {
        const f = new FormData()
        f.set('script_file', new Blob(['print(1)\n']), 'x.py')
        return f
      }
      const routes: [string, (id: string) => [string, RequestInit]][] = [
        ...['trigger', 'stop', 'pause', 'resume'].map((a): [string, (id: string) => [string, RequestInit]] => [
          a,
          (id) => [`/api/tasks/${id}/${a}`, { method: 'POST' }],
        ]),
        ['get', (id) => [`/api/tasks/${id}`, {}]],
        ['delete', (id) => [`/api/tasks/${id}`, { method: 'DELETE' }]],
        ['update', (id) => [`/api/tasks/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"task_name":"x"}' }]],
        ['update-script', (id) => [`/api/tasks/${id}/update-script`, { method: 'POST', body: form() }]],
      ]
      for (const [action, request] of routes) {
        for (const id of ['999', 'abc', '1e0', '0x1', '01.0', '-1']) {
          const res = await app.json(...request(encodeURIComponent(id)))
          assert.deepEqual([res.status, res.body], [404, { success: false, message: `Task with ID ${id} not found` }], `${action} ${id}`)
        }
      }
      assert.deepEqual(await app.store.tasks.findById(1), before)
      assert.equal(await app.store.runs.countForTask(1), 0)
      assert.deepEqual(readdirSync(`${app.dataDir}/uploads`), [])
    })

    it('stops a running task: the whole process group dies, grandchildren included; run cancelled', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { taskId, runId, pid } = await createRunning(app, 'tree', 'sleep 1000 & echo $! > grandchild.pid; sleep 1000')
      const grandchild = Number(await waitForFile(`${app.paths.taskDir(taskId)}/grandchild.pid`))
      assert.ok(alive(grandchild))

      const res = await app.json(`/api/tasks/${taskId}/stop`, { method: 'POST' })
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, {
        success: true,
        message: 'Task stopped successfully',
        task: { task_id: taskId, task_name: 'tree', status: 'stopped', previous_status: 'running' },
      })
      assert.equal(alive(pid), false)
      assert.equal(alive(grandchild), false)
      const run = await app.store.runs.findById(runId)
      assert.equal(run?.status, 'cancelled')
      const again = await app.json(`/api/tasks/${taskId}/stop`, { method: 'POST' })
      assert.deepEqual(again.body, {
        success: false,
        message: 'Task cannot be stopped',
        error: "Cannot stop a task with status: 'stopped'",
        current_status: 'stopped',
      })
    })

    it('pauses a running task (its cgroup frozen, or SIGSTOP without cgroups) and resumes it', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { taskId, runId, pid } = await createRunning(app, 'pausable', 'read line; echo "got $line"', { interactive: 'true' })
      const paused = await app.json(`/api/tasks/${taskId}/pause`, { method: 'POST' })
      assert.deepEqual(paused.body, {
        success: true,
        message: 'Task paused successfully',
        task: { task_id: taskId, task_name: 'pausable', status: 'paused', previous_status: 'running' },
      })
      await waitForPausedProcess(pid)
      assert.equal((await app.store.runs.findById(runId))?.status, 'paused')

      const resumed = await app.json(`/api/tasks/${taskId}/resume`, { method: 'POST' })
      assert.deepEqual(resumed.body, {
        success: true,
        message: 'Task resumed successfully',
        task: { task_id: taskId, task_name: 'pausable', status: 'running', previous_status: 'paused' },
      })
      // Continued, it goes back to waiting for its input (S); 'R' on the way is not an answer.
      assert.equal(await waitForState(pid, (s) => s === 'S' && !isPaused(pid)), 'S')
      app.worker.input(runId, 'ping\n')
      await app.runFinished(runId)
      const log = await app.json(`/api/tasks/${taskId}/executions/${runId}/logs`)
      assert.equal(log.body.logs, 'got ping\n')
      assert.equal((await app.json(`/api/tasks/${taskId}`)).body.task.status, 'completed')
    })

    it('refuses resume of a task that is not paused, and pause of a stopped one, with spec 000 bodies', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { taskId } = await createRunning(app, 'r', 'sleep 30')
      const resume = await app.json(`/api/tasks/${taskId}/resume`, { method: 'POST' })
      assert.equal(resume.status, 400)
      assert.deepEqual(resume.body, {
        success: false,
        message: 'Task is not paused',
        error: "Cannot resume a task with status: 'running'",
        current_status: 'running',
      })
      await app.json(`/api/tasks/${taskId}/stop`, { method: 'POST' })
      const pause = await app.json(`/api/tasks/${taskId}/pause`, { method: 'POST' })
      assert.equal(pause.status, 400)
      assert.deepEqual(pause.body, {
        success: false,
        message: 'Task cannot be paused',
        error: "Cannot pause a task with status: 'stopped'",
        current_status: 'stopped',
      })
    })

    it('pauses a scheduled cron task off its schedule; resume runs it now (spec 000: status running) and puts it back on', async (t) => {
      const app = await createTestApp(t, { dialect })
      const created = await app.createTask({ conda_env: 'base', task_name: 'cron', command: 'echo resumed', cron_expression: '0 0 1 1 *' })
      const taskId = created.body.task.task_id
      assert.equal(created.body.task.status, 'scheduled')
      const paused = await app.json(`/api/tasks/${taskId}/pause`, { method: 'POST' })
      assert.deepEqual(paused.body, {
        success: true,
        message: 'Task paused successfully',
        task: { task_id: taskId, task_name: 'cron', status: 'paused', previous_status: 'scheduled' },
      })
      assert.deepEqual(await app.store.tasks.listUpcoming(10), [])
      const resumed = await app.json(`/api/tasks/${taskId}/resume`, { method: 'POST' })
      assert.deepEqual(resumed.body, {
        success: true,
        message: 'Task resumed successfully',
        task: { task_id: taskId, task_name: 'cron', status: 'running', previous_status: 'paused' },
      })
      const { runId } = await app.runningRun(taskId)
      await app.runFinished(runId)
      const after = (await app.json(`/api/tasks/${taskId}`)).body.task
      assert.deepEqual([after.status, after.next_run_time, after.next_run_time === created.body.task.next_run_time], ['scheduled', after.next_run_time, true])
      assert.equal((await app.store.tasks.listUpcoming(10)).length, 1)
      assert.equal(await app.store.runs.countForTask(taskId), 1)
      assert.equal(readFileSync(runLogFile(app.paths.logsDir, runId), 'utf8'), 'resumed\n')
    })

    it('resumes a paused delayed task as running (spec 000), runs it now, and then it is completed, not pending again', async (t) => {
      const app = await createTestApp(t, { dialect })
      const created = await app.createTask({ conda_env: 'base', task_name: 'later', command: 'echo now', delay_seconds: '3600' })
      const taskId = created.body.task.task_id
      const paused = await app.json(`/api/tasks/${taskId}/pause`, { method: 'POST' })
      assert.deepEqual(paused.body.task, { task_id: taskId, task_name: 'later', status: 'paused', previous_status: 'scheduled' })
      const resumed = await app.json(`/api/tasks/${taskId}/resume`, { method: 'POST' })
      assert.deepEqual(resumed.body, {
        success: true,
        message: 'Task resumed successfully',
        task: { task_id: taskId, task_name: 'later', status: 'running', previous_status: 'paused' },
      })
      const { runId } = await app.runningRun(taskId)
      await app.runFinished(runId)
      const after = (await app.json(`/api/tasks/${taskId}`)).body.task
      assert.deepEqual([after.status, after.next_run_time], ['completed', null])
      assert.equal(await app.store.runs.countForTask(taskId), 1)
    })

    it('a stopped cron task that is triggered runs once and is stopped again, never scheduled without a next run', async (t) => {
      const app = await createTestApp(t, { dialect })
      const created = await app.createTask({ conda_env: 'base', task_name: 'cron-stopped', command: 'echo once', cron_expression: '0 0 1 1 *' })
      const taskId = created.body.task.task_id
      const stopped = await app.json(`/api/tasks/${taskId}/stop`, { method: 'POST' })
      assert.deepEqual(stopped.body, {
        success: true,
        message: 'Task stopped successfully',
        task: { task_id: taskId, task_name: 'cron-stopped', status: 'stopped', previous_status: 'scheduled' },
      })
      const triggered = await app.json(`/api/tasks/${taskId}/trigger`, { method: 'POST' })
      assert.deepEqual(triggered.body, {
        success: true,
        message: 'Task triggered successfully',
        task: { task_id: taskId, task_name: 'cron-stopped', status: 'running', previous_status: 'stopped' },
      })
      const { runId } = await app.runningRun(taskId)
      await app.runFinished(runId)
      const after = (await app.json(`/api/tasks/${taskId}`)).body
      assert.deepEqual([after.task.status, after.task.next_run_time, after.latest_execution.logs], ['stopped', null, 'once\n'])
      assert.deepEqual(await app.store.tasks.listUpcoming(10), [])
    })

    it('eight parallel triggers of one task make exactly one run; the others get spec 000 refusals', async (t) => {
      const app = await createTestApp(t, { dialect })
      const created = await app.createTask({ conda_env: 'base', task_name: 'race', command: 'sleep 30', cron_expression: '0 0 1 1 *' })
      const taskId = created.body.task.task_id
      const answers = await Promise.all(Array.from({ length: 8 }, () => app.json(`/api/tasks/${taskId}/trigger`, { method: 'POST' })))
      const ok = answers.filter((a) => a.status === 200)
      assert.equal(ok.length, 1, JSON.stringify(answers))
      assert.deepEqual(ok[0]!.body.task, { task_id: taskId, task_name: 'race', status: 'running', previous_status: 'scheduled' })
      for (const refused of answers.filter((a) => a.status !== 200)) {
        assert.deepEqual(
          [refused.status, refused.body],
          [
            400,
            {
              success: false,
              message: 'Task cannot be triggered',
              error: "Cannot trigger a task with status: 'running'",
              current_status: 'running',
            },
          ],
        )
      }
      assert.equal(await app.store.runs.countForTask(taskId), 1)
      await app.json(`/api/tasks/${taskId}/stop`, { method: 'POST' })
    })

    it('eight parallel resumes of a paused waiting task make exactly one run', async (t) => {
      const app = await createTestApp(t, { dialect })
      const created = await app.createTask({ conda_env: 'base', task_name: 'race-resume', command: 'sleep 30', delay_seconds: '3600' })
      const taskId = created.body.task.task_id
      await app.json(`/api/tasks/${taskId}/pause`, { method: 'POST' })
      const answers = await Promise.all(Array.from({ length: 8 }, () => app.json(`/api/tasks/${taskId}/resume`, { method: 'POST' })))
      assert.equal(answers.filter((a) => a.status === 200).length, 1, JSON.stringify(answers))
      for (const refused of answers.filter((a) => a.status !== 200)) {
        assert.deepEqual(
          [refused.status, refused.body],
          [
            400,
            {
              success: false,
              message: 'Task is not paused',
              error: "Cannot resume a task with status: 'running'",
              current_status: 'running',
            },
          ],
        )
      }
      assert.equal(await app.store.runs.countForTask(taskId), 1)
      await app.json(`/api/tasks/${taskId}/stop`, { method: 'POST' })
    })

    it('triggering a cron task runs it now and keeps its schedule; afterwards it is scheduled again', async (t) => {
      const app = await createTestApp(t, { dialect })
      const created = await app.createTask({ conda_env: 'base', task_name: 'cron-now', command: 'echo now', cron_expression: '0 0 1 1 *' })
      const taskId = created.body.task.task_id
      const next = created.body.task.next_run_time
      const res = await app.json(`/api/tasks/${taskId}/trigger`, { method: 'POST' })
      assert.deepEqual(res.body.task, { task_id: taskId, task_name: 'cron-now', status: 'running', previous_status: 'scheduled' })
      const { runId } = await app.runningRun(taskId)
      await app.runFinished(runId)
      const after = (await app.json(`/api/tasks/${taskId}`)).body
      assert.equal(after.task.status, 'scheduled')
      assert.equal(after.task.next_run_time, next)
      assert.equal(after.latest_execution.logs, 'now\n')
    })

    it('refuses to delete a running task; deletes a stopped one with its runs, logs and files', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { taskId, runId } = await createRunning(app, 'del', 'echo out; sleep 30')
      const refused = await app.json(`/api/tasks/${taskId}`, { method: 'DELETE' })
      assert.equal(refused.status, 400)
      assert.deepEqual(refused.body, {
        success: false,
        message: 'Task cannot be deleted',
        error: 'Cannot delete a task that is currently running',
        current_status: 'running',
      })
      assert.ok(await app.store.tasks.findById(taskId))
      await app.json(`/api/tasks/${taskId}/stop`, { method: 'POST' })
      const res = await app.json(`/api/tasks/${taskId}`, { method: 'DELETE' })
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, { success: true, message: 'Task deleted successfully', task_id: taskId })
      assert.equal(await app.store.tasks.findById(taskId), undefined)
      assert.equal(await app.store.runs.findById(runId), undefined)
      assert.equal(exists(app.paths.taskDir(taskId)), false)
      assert.equal(exists(runLogFile(app.paths.logsDir, runId)), false)
    })

    it('deleting a paused task ends its suspended process first', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { taskId, pid } = await createRunning(app, 'paused-del', 'sleep 1000')
      await app.json(`/api/tasks/${taskId}/pause`, { method: 'POST' })
      const res = await app.json(`/api/tasks/${taskId}`, { method: 'DELETE' })
      assert.equal(res.status, 200)
      assert.equal(alive(pid), false)
    })
  })
}

function exists(p: string): boolean {
  try {
    readFileSync(p)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EISDIR'
  }
}

/** A file the run writes; polled (a bounded loop) because nothing signals its creation. */
async function waitForFile(p: string): Promise<string> {
  for (let i = 0; i < 2000; i++) {
    try {
      const text = readFileSync(p, 'utf8')
      if (text.endsWith('\n')) return text.trim()
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 5))
  }
  throw new Error(`${p} never appeared`)
}
