import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

async function started(app: TestApp, fields: Record<string, string>, script?: string): Promise<{ taskId: number; runId: number }> {
  const res = await app.createTask({ conda_env: 'base', ...fields }, script === undefined ? undefined : { name: 'job.py', content: script })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  const taskId = res.body.task.task_id as number
  const { runId } = await app.runningRun(taskId)
  return { taskId, runId }
}

async function log(app: TestApp, taskId: number, runId: number): Promise<string> {
  return (await app.json(`/api/tasks/${taskId}/executions/${runId}/logs`)).body.logs
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: run input (issue 8, spec 003)`, { skip: dialect.skip }, () => {
    it('feeds an interactive run its stdin line by line, then ends it with close', async (t) => {
      const app = await createTestApp(t, { dialect })
      const script = 'import sys\nname = input()\nprint("hello", name, flush=True)\nprint("rest:", sys.stdin.read().split())\n'
      const { taskId, runId } = await started(app, { task_name: 'chat', interactive: 'true' }, script)
      assert.equal((await app.json(`/api/tasks/${taskId}`)).body.task.interactive, true)

      assert.deepEqual(await app.json(`/api/executions/${runId}/input`, post({ text: 'ada\n' })), {
        status: 200,
        body: { success: true, message: 'Input sent', execution_id: String(runId), bytes: 4, closed: false },
      })
      assert.deepEqual(await app.json(`/api/executions/${runId}/input`, post({ text: 'x y\n', close: true })), {
        status: 200,
        body: { success: true, message: 'Input sent and closed', execution_id: String(runId), bytes: 4, closed: true },
      })
      await app.runFinished(runId)
      assert.equal((await app.store.runs.findById(runId))!.status, 'completed')
      assert.equal(await log(app, taskId, runId), "hello ada\nrest: ['x', 'y']\n")

      assert.deepEqual(await app.json(`/api/executions/${runId}/input`, post({ text: 'late\n' })), {
        status: 400,
        body: {
          success: false,
          message: 'Cannot send input',
          error: `Execution ${runId} has ended (completed): it reads no more input`,
          current_status: 'completed',
        },
      })
      const audit = (await app.store.auditLog.list({ limit: 10 })).filter((e) => e.action === 'run.input').map((e) => e.details)
      assert.deepEqual(audit, [
        { bytes: 4, close: true },
        { bytes: 4, close: false },
      ])
    })

    it('gives every other run stdin at end-of-file: input() in a cron job ends at once instead of hanging', async (t) => {
      const app = await createTestApp(t, { dialect })
      const script = 'try:\n    input()\n    print("read something")\nexcept EOFError:\n    print("eof")\n'
      const res = await app.createTask({ conda_env: 'base', task_name: 'cron-reader', cron_expression: '0 0 1 1 *' }, { name: 'job.py', content: script })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      const taskId = res.body.task.task_id as number
      assert.equal((await app.json(`/api/tasks/${taskId}/trigger`, { method: 'POST' })).status, 200)
      const { runId } = await app.runningRun(taskId)
      await app.runFinished(runId)
      assert.equal((await app.store.runs.findById(runId))!.status, 'completed')
      assert.equal(await log(app, taskId, runId), 'eof\n')
    })

    it('refuses input to a run that is not interactive, or whose stdin was closed, saying why; a viewer may not send any', async (t) => {
      const app = await createTestApp(t, { dialect })
      const plain = await started(app, { task_name: 'plain', command: 'sleep 30' })
      assert.deepEqual(await app.json(`/api/executions/${plain.runId}/input`, post({ text: 'hi\n' })), {
        status: 400,
        body: {
          success: false,
          message: 'Cannot send input',
          error: `Task ${plain.taskId} is not interactive: its runs read end-of-file from stdin (create it with interactive=true)`,
          current_status: 'running',
        },
      })

      const closing = await started(app, { task_name: 'closing', command: 'cat; echo "cat done"; sleep 30', interactive: 'true' })
      assert.equal((await app.json(`/api/executions/${closing.runId}/input`, post({ text: '', close: true }))).status, 200)
      const auditBefore = (await app.store.auditLog.list({ limit: 100 })).length
      assert.deepEqual(await app.json(`/api/executions/${closing.runId}/input`, post({ text: 'more\n' })), {
        status: 400,
        body: {
          success: false,
          message: 'Cannot send input',
          error: `Execution ${closing.runId} takes no more input: its stdin was closed, or its process is not on this server`,
          current_status: 'running',
        },
      })
      assert.equal((await app.store.auditLog.list({ limit: 100 })).length, auditBefore, 'a refusal is not audited')

      const viewer = await app.addUser('vic', 'viewer')
      assert.equal((await app.jsonAs({ bearer: viewer.bearer }, `/api/executions/${closing.runId}/input`, post({ text: 'x' }))).status, 403)
      for (const [body, error] of [
        [{}, "body must have required property 'text'"],
        [{ text: 'x', close: 'maybe' }, 'body/close must be boolean'],
      ] as const) {
        assert.deepEqual(await app.json(`/api/executions/${closing.runId}/input`, post(body)), {
          status: 400,
          body: { success: false, message: 'Invalid request', error },
        })
      }
      assert.deepEqual(await app.json('/api/executions/99999/input', post({ text: 'x' })), {
        status: 404,
        body: { success: false, message: 'Task execution with ID not found', error: 'No execution with ID 99999' },
      })
      for (const id of [plain.taskId, closing.taskId]) assert.equal((await app.json(`/api/tasks/${id}/stop`, { method: 'POST' })).status, 200)
    })
  })
}
