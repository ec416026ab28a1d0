import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const post = (body?: unknown): RequestInit =>
  body === undefined ? { method: 'POST' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }

/** A task whose first run has ended with `command`'s outcome. */
async function endedRun(app: TestApp, name: string, command: string): Promise<{ taskId: number; runId: number }> {
  const res = await app.createTask({ conda_env: 'base', task_name: name, command })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  const taskId = res.body.task.task_id as number
  const { runId } = await app.runningRun(taskId)
  await app.runFinished(runId)
  return { taskId, runId }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: retries (issue 8)`, { skip: dialect.skip }, () => {
    it('retries a failed run as the next attempt of its chain, linked to the first run, and audits it', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { taskId, runId } = await endedRun(app, 'flaky', 'exit 1')
      const first = await app.json(`/api/executions/${runId}/retry`, post())
      const second = (await app.store.runs.listForTask(taskId, 1))[0]!
      assert.deepEqual(first, {
        status: 200,
        body: {
          success: true,
          message: 'Execution retried successfully',
          execution_id: String(runId),
          new_execution_id: String(second.id),
          task_id: taskId,
          attempt: 2,
        },
      })
      await app.runFinished(second.id)
      const detail = (await app.json(`/api/executions/${second.id}`)).body.execution
      assert.deepEqual([detail.status, detail.trigger, detail.attempt, detail.first_execution_id], ['failed', 'retry', 2, String(runId)])

      // Retrying the retry: attempt 3, still linked to the first run of the chain.
      const again = await app.json(`/api/executions/${second.id}/retry`, post())
      assert.equal(again.body.attempt, 3)
      const third = (await app.store.runs.findById(Number(again.body.new_execution_id)))!
      assert.deepEqual([third.attempt, third.firstRunId], [3, runId])
      await app.runFinished(third.id)

      const audit = (await app.store.auditLog.list({ limit: 20 })).filter((e) => e.action === 'run.retry')
      assert.deepEqual(
        audit.map((e) => [e.targetType, e.targetId, e.details]),
        [
          ['run', String(second.id), { task_id: taskId, new_execution_id: third.id }],
          ['run', String(runId), { task_id: taskId, new_execution_id: second.id }],
        ],
      )
    })

    it('refuses a completed run, an unknown one and a task with a live run, and changes nothing', async (t) => {
      const app = await createTestApp(t, { dialect })
      const ok = await endedRun(app, 'fine', 'echo ok')
      assert.deepEqual(await app.json(`/api/executions/${ok.runId}/retry`, post()), {
        status: 400,
        body: {
          success: false,
          message: 'Execution cannot be retried',
          error: `Only a failed, timeout or abnormal execution can be retried; execution ${ok.runId} is 'completed'`,
          current_status: 'completed',
        },
      })
      assert.equal((await app.json(`/api/tasks/${ok.taskId}/retry`, post())).status, 400)
      assert.equal(await app.store.runs.countForTask(ok.taskId), 1)
      assert.deepEqual(await app.json('/api/executions/99999/retry', post()), {
        status: 404,
        body: { success: false, message: 'Task execution with ID not found', error: 'No execution with ID 99999' },
      })

      const failed = await endedRun(app, 'fails-then-busy', 'exit 2')
      assert.equal((await app.json(`/api/tasks/${failed.taskId}/trigger`, post())).status, 200)
      const live = (await app.store.runs.listForTask(failed.taskId, 1))[0]!
      const refused = await app.json(`/api/executions/${failed.runId}/retry`, post())
      assert.equal(refused.status, 400)
      assert.equal(refused.body.message, 'Task cannot be triggered')
      await app.runFinished(live.id)
      assert.equal(await app.store.runs.countForTask(failed.taskId), 2)

      const waiting = await app.createTask({ conda_env: 'base', task_name: 'not-yet', command: 'echo x', delay_seconds: '3600' })
      const waitingId = waiting.body.task.task_id as number
      assert.deepEqual(await app.json(`/api/tasks/${waitingId}/retry`, post()), {
        status: 400,
        body: { success: false, message: 'Execution cannot be retried', error: `Task ${waitingId} has no execution to retry`, current_status: 'scheduled' },
      })
    })

    it("retries a task's latest run; parallel retries of one run start exactly one", async (t) => {
      const app = await createTestApp(t, { dialect })
      const { taskId, runId } = await endedRun(app, 'racy', 'exit 3')
      // The retry stays live through the race: one that ended in between would leave a failed
      // latest run, which a task retry may rightly retry again.
      assert.equal(
        (
          await app.json(`/api/tasks/${taskId}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ command: 'sleep 60' }),
          })
        ).status,
        200,
      )
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) => app.json(i % 2 ? `/api/tasks/${taskId}/retry` : `/api/executions/${runId}/retry`, post())),
      )
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 400, 400, 400, 400, 400])
      const runs = await app.store.runs.listForTask(taskId, 10)
      assert.equal(runs.length, 2)
      const finished = app.runFinished(runs[0]!.id)
      assert.equal((await app.json(`/api/tasks/${taskId}/stop`, post())).status, 200)
      await finished
    })

    it('lets only those who may trigger the task retry it', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { runId } = await endedRun(app, 'admins', 'exit 1')
      const op = await app.addUser('olga', 'operator')
      const viewer = await app.addUser('vic', 'viewer')
      for (const who of [op, viewer]) {
        assert.deepEqual(await app.jsonAs({ bearer: who.bearer }, `/api/executions/${runId}/retry`, post()), {
          status: 403,
          body: { success: false, message: 'Unauthorized - Insufficient privileges', error: 'You do not have permission to trigger this task' },
        })
      }
      assert.equal((await app.store.runs.listForTask((await app.store.runs.findById(runId))!.taskId, 10)).length, 1)
    })

    it('POST /api/executions/retry reports each id on its own; a bad list is a 400', async (t) => {
      const app = await createTestApp(t, { dialect })
      const a = await endedRun(app, 'a', 'exit 1')
      const ok = await endedRun(app, 'ok', 'true')
      const b = await endedRun(app, 'b', 'exit 1')
      const res = await app.json('/api/executions/retry', post({ execution_ids: [String(a.runId), ok.runId, '99999', '01', b.runId] }))
      assert.equal(res.status, 200)
      const newA = (await app.store.runs.listForTask(a.taskId, 1))[0]!
      const newB = (await app.store.runs.listForTask(b.taskId, 1))[0]!
      assert.deepEqual(res.body, {
        success: true,
        retried: 2,
        failed: 3,
        total: 5,
        results: [
          { execution_id: String(a.runId), success: true, new_execution_id: String(newA.id), attempt: 2 },
          {
            execution_id: String(ok.runId),
            success: false,
            message: 'Execution cannot be retried',
            error: `Only a failed, timeout or abnormal execution can be retried; execution ${ok.runId} is 'completed'`,
          },
          { execution_id: '99999', success: false, message: 'Task execution with ID not found', error: 'No execution with ID 99999' },
          { execution_id: '01', success: false, message: 'Task execution with ID not found', error: 'No execution with ID 01' },
          { execution_id: String(b.runId), success: true, new_execution_id: String(newB.id), attempt: 2 },
        ],
      })
      await Promise.all([app.runFinished(newA.id), app.runFinished(newB.id)])

      for (const [body, error] of [
        [{ execution_ids: [] }, 'body/execution_ids must NOT have fewer than 1 items'],
        [{ execution_ids: Array.from({ length: 101 }, (_, i) => String(i + 1)) }, 'body/execution_ids must NOT have more than 100 items'],
        [{}, "body must have required property 'execution_ids'"],
      ] as const) {
        assert.deepEqual(await app.json('/api/executions/retry', post(body)), { status: 400, body: { success: false, message: 'Invalid request', error } })
      }
    })
  })
}
