import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatDateTime } from '../../src/lib/format-time.ts'
import type { Run } from '../../src/domain/run.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const jsonPost = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

async function createTask(app: TestApp, name: string, command: string, fields: Record<string, string> = {}): Promise<number> {
  const res = await app.createTask({ conda_env: 'base', task_name: name, command, ...fields })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.task.task_id as number
}

/** The detail the API must show for `run` as the store holds it now. */
export function expectedDetail(run: Run, taskName: string, queuePosition: number | null = null): Record<string, unknown> {
  const duration = run.startedAt != null && run.endedAt != null ? Math.round((run.endedAt - run.startedAt) / 10) / 100 : null
  const mb = (b: number | null) => (b == null ? null : Math.round((b / 1048576) * 10) / 10)
  return {
    execution_id: String(run.id),
    task_id: run.taskId,
    task_name: taskName,
    status: run.status,
    trigger: run.trigger,
    priority: 'normal',
    priority_value: 5,
    attempt: 1,
    first_execution_id: null,
    retry_of_execution_id: null,
    not_before: null,
    requested_action: null,
    queued_at: formatDateTime(run.queuedAt),
    start_time: formatDateTime(run.startedAt),
    end_time: formatDateTime(run.endedAt),
    duration,
    exit_code: run.exitCode,
    signal: run.signal,
    error: run.error,
    output_truncated: false,
    peak_memory: mb(run.peakRssBytes),
    avg_memory: mb(run.avgRssBytes),
    pause_reason: run.pauseReason,
    paused_by: run.pausedBy,
    resume_reason: run.resumeReason,
    resumed_by: run.resumedBy,
    stop_reason: run.stopReason,
    stopped_by: run.stoppedBy,
    queue_position: queuePosition,
    artifact_count: 0,
    artifacts_url: `/api/executions/${run.id}/artifacts`,
    logs_url: `/api/tasks/${run.taskId}/executions/${run.id}/logs`,
  }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: run reads (issue 8, spec 003)`, { skip: dialect.skip }, () => {
    it('GET /api/executions/<id> shows a finished run whole: status, exit code, times, attempt; a viewer may read it', async (t) => {
      const app = await createTestApp(t, { dialect })
      const taskId = await createTask(app, 'exits-3', 'echo out; exit 3')
      const { runId } = await app.runningRun(taskId)
      await app.runFinished(runId)
      const run = (await app.store.runs.findById(runId))!
      assert.equal(run.status, 'failed')
      assert.equal(run.exitCode, 3)

      const res = await app.json(`/api/executions/${runId}`)
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, { success: true, execution: expectedDetail(run, 'exits-3') })

      const viewer = await app.addUser('vera', 'viewer')
      assert.deepEqual(await app.jsonAs({ bearer: viewer.bearer }, `/api/executions/${runId}`), { status: 200, body: res.body })
      assert.equal((await app.jsonAs(null, `/api/executions/${runId}`)).status, 401)
    })

    it('answers an unknown or oddly spelled execution id with execution_not_found 404', async (t) => {
      const app = await createTestApp(t, { dialect })
      for (const id of ['999', '01', 'abc', '1e3']) {
        assert.deepEqual(
          await app.json(`/api/executions/${id}`),
          { status: 404, body: { success: false, message: 'Task execution with ID not found', error: `No execution with ID ${id}` } },
          id,
        )
      }
    })

    it('shows queued runs with their queue position, and the brief status names what runs', async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_MAX_WORKERS: '1' } })
      const idle = await app.json('/api/tasks/status')
      assert.deepEqual(idle, { status: 200, body: { success: true, has_active_task: false, active_task: null, active_tasks: [], queued_count: 0 } })

      const busyId = await createTask(app, 'busy', 'sleep 30')
      const { runId: busyRun } = await app.runningRun(busyId)
      const lowId = await createTask(app, 'waits-low', 'echo low', { priority: 'low' })
      const highId = await createTask(app, 'waits-high', 'echo high', { priority: 'high' })
      const lowRun = (await app.store.runs.listForTask(lowId, 1))[0]!
      const highRun = (await app.store.runs.listForTask(highId, 1))[0]!
      assert.equal(lowRun.status, 'queued')
      assert.equal(highRun.status, 'queued')

      // claimNext's order: priority first, so the later high-priority run is next.
      const high = await app.json(`/api/executions/${highRun.id}`)
      assert.deepEqual(high.body, { success: true, execution: { ...expectedDetail(highRun, 'waits-high', 1), priority: 'high', priority_value: 2 } })
      const low = await app.json(`/api/executions/${lowRun.id}`)
      assert.deepEqual(low.body, { success: true, execution: { ...expectedDetail(lowRun, 'waits-low', 2), priority: 'low', priority_value: 8 } })

      const busy = (await app.store.runs.findById(busyRun))!
      const running = { task_id: busyId, task_name: 'busy', execution_id: String(busyRun), status: 'running', start_time: formatDateTime(busy.startedAt) }
      assert.deepEqual(await app.json('/api/tasks/status'), {
        status: 200,
        body: { success: true, has_active_task: true, active_task: running, active_tasks: [running], queued_count: 2 },
      })
      // A paused run still holds its process: it stays active, shown as paused.
      assert.equal((await app.json(`/api/tasks/${busyId}/pause`, { method: 'POST' })).status, 200)
      const paused = await app.json('/api/tasks/status')
      assert.deepEqual(paused.body.active_tasks, [{ ...running, status: 'paused' }])
      assert.equal((await app.json(`/api/tasks/${busyId}/stop`, { method: 'POST' })).status, 200)
    })

    it("GET /api/tasks/<id>/executions pages a task's runs newest first; bad page values are a 400 that says which", async (t) => {
      const app = await createTestApp(t, { dialect })
      const taskId = await createTask(app, 'thrice', 'echo again')
      const runIds: number[] = []
      for (let i = 0; i < 3; i++) {
        if (i > 0) assert.equal((await app.json(`/api/tasks/${taskId}/trigger`, { method: 'POST' })).status, 200)
        const latest = (await app.store.runs.listForTask(taskId, 1))[0]!
        await app.runFinished(latest.id)
        runIds.push(latest.id)
      }
      const stored = async (id: number) => expectedDetail((await app.store.runs.findById(id))!, 'thrice')

      const first = await app.json(`/api/tasks/${taskId}/executions?page_size=2`)
      assert.deepEqual(first, {
        status: 200,
        body: { success: true, task_id: taskId, executions: [await stored(runIds[2]!), await stored(runIds[1]!)], total: 3, page: 1, page_size: 2 },
      })
      const second = await app.json(`/api/tasks/${taskId}/executions?page=2&page_size=2`)
      assert.deepEqual(second.body, { success: true, task_id: taskId, executions: [await stored(runIds[0]!)], total: 3, page: 2, page_size: 2 })
      const defaults = await app.json(`/api/tasks/${taskId}/executions`)
      assert.deepEqual(
        defaults.body.executions.map((e: any) => e.execution_id),
        [...runIds].reverse().map(String),
      )
      assert.equal(defaults.body.page_size, 10)
      const past = await app.json(`/api/tasks/${taskId}/executions?page=5`)
      assert.deepEqual(past.body, { success: true, task_id: taskId, executions: [], total: 3, page: 5, page_size: 10 })

      const bad: [string, string][] = [
        ['page=0', 'querystring/page must be >= 1'],
        ['page=abc', 'querystring/page must be integer'],
        ['page=1.5', 'querystring/page must be integer'],
        ['page_size=0', 'querystring/page_size must be >= 1'],
        ['page_size=101', 'querystring/page_size must be <= 100'],
        ['size=5', 'querystring must NOT have additional properties'],
      ]
      for (const [query, error] of bad) {
        assert.deepEqual(
          await app.json(`/api/tasks/${taskId}/executions?${query}`),
          { status: 400, body: { success: false, message: 'Invalid request', error } },
          query,
        )
      }
      assert.deepEqual(await app.json('/api/tasks/999/executions'), {
        status: 404,
        body: { success: false, message: 'Task with ID 999 not found' },
      })
    })

    it('pause, resume and stop keep their optional reason on the run with who gave it, and audit it', async (t) => {
      const app = await createTestApp(t, { dialect })
      const op = await app.addUser('otto', 'operator')
      const created = await app.jsonAs({ bearer: op.bearer }, '/api/tasks', {
        method: 'POST',
        body: (() => {
          const form = new FormData()
          form.set('script_file', new Blob(['print(1)\n']), 'job.py')
          form.set('conda_env', 'base')
          form.set('task_name', 'long')
          form.set('command', 'sleep 30')
          return form
        })(),
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const taskId = created.body.task.task_id as number
      const { runId } = await app.runningRun(taskId)
      const as = { bearer: op.bearer }

      assert.equal((await app.jsonAs(as, `/api/tasks/${taskId}/pause`, jsonPost({ reason: 'disk is nearly full' }))).status, 200)
      let detail = (await app.json(`/api/executions/${runId}`)).body.execution
      assert.deepEqual([detail.status, detail.pause_reason, detail.paused_by], ['paused', 'disk is nearly full', 'otto'])

      // The admin resumes without a reason: who resumed is kept, the reason is null.
      assert.equal((await app.json(`/api/tasks/${taskId}/resume`, { method: 'POST' })).status, 200)
      detail = (await app.json(`/api/executions/${runId}`)).body.execution
      assert.deepEqual(
        [detail.status, detail.pause_reason, detail.paused_by, detail.resume_reason, detail.resumed_by],
        ['running', 'disk is nearly full', 'otto', null, 'admin'],
      )

      assert.equal((await app.jsonAs(as, `/api/tasks/${taskId}/stop`, jsonPost({ reason: 'wrong input\nsee ticket 7' }))).status, 200)
      await app.runFinished(runId)
      const run = (await app.store.runs.findById(runId))!
      assert.equal(run.status, 'cancelled')
      assert.deepEqual((await app.json(`/api/executions/${runId}`)).body, {
        success: true,
        execution: { ...expectedDetail(run, 'long'), stop_reason: 'wrong input\nsee ticket 7', stopped_by: 'otto' },
      })

      const audit = (await app.store.auditLog.list({ limit: 10 })).filter((e) => e.targetType === 'task').map((e) => [e.action, e.actorUsername, e.details])
      assert.deepEqual(audit.slice(0, 3), [
        ['task.stop', 'otto', { reason: 'wrong input\nsee ticket 7' }],
        ['task.resume', 'admin', null],
        ['task.pause', 'otto', { reason: 'disk is nearly full' }],
      ])
    })

    it('refuses a bad reason with a 400 that says why, and changes nothing', async (t) => {
      const app = await createTestApp(t, { dialect })
      const taskId = await createTask(app, 'steady', 'sleep 30')
      const { runId } = await app.runningRun(taskId)
      const auditBefore = (await app.store.auditLog.list({ limit: 100 })).length
      const bad: [unknown, string][] = [
        [{ reason: { text: 'x' } }, 'body/reason must be string,null'],
        [{ reason: 'x'.repeat(1001) }, 'body/reason must NOT have more than 1000 characters'],
        [{ reason: 'fake\u001b[31m' }, 'reason must not contain control characters (tab and line feed are allowed)'],
        [{ why: 'typo' }, "Unknown field 'why'; accepted fields: reason"],
      ]
      for (const [body, error] of bad) {
        const res = await app.json(`/api/tasks/${taskId}/pause`, jsonPost(body))
        assert.equal(res.status, 400, JSON.stringify(body))
        assert.equal(res.body.error, error, JSON.stringify(res.body))
      }
      const run = (await app.store.runs.findById(runId))!
      assert.deepEqual([run.status, run.pauseReason, run.pausedBy], ['running', null, null])
      assert.equal((await app.store.tasks.findById(taskId))!.status, 'running')
      assert.equal((await app.store.auditLog.list({ limit: 100 })).length, auditBefore)

      const viewer = await app.addUser('vic', 'viewer')
      const refused = await app.jsonAs({ bearer: viewer.bearer }, `/api/tasks/${taskId}/stop`, jsonPost({ reason: 'no' }))
      assert.equal(refused.status, 403)
      assert.equal((await app.store.runs.findById(runId))!.stopReason, null)
      assert.equal((await app.json(`/api/tasks/${taskId}/stop`, { method: 'POST' })).status, 200)
    })
  })
}
