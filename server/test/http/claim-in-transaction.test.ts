import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

/**
 * Issue 10: a trigger or a create that queues a run claims it in its own transaction when a slot
 * is free, and starts it right after the commit; no second transaction of the worker's comes in
 * between. Seen from the bus: when the service announces the change (`task:changed`, emitted
 * synchronously after its commit), this node already supervises the new run. Before, the claim
 * was the worker's own transaction, begun by wake() at that moment and not yet done.
 */
function supervisedAtTaskChanged(app: TestApp): Map<number, number[]> {
  const seen = new Map<number, number[]>()
  app.bus.on('task:changed', ({ taskId }) => {
    if (seen.has(taskId)) return
    // Run ids of a fresh database are small: probe them all, synchronously, in the emit.
    const ids: number[] = []
    for (let id = 1; id <= 500; id++) if (app.worker.isSupervising(id)) ids.push(id)
    seen.set(taskId, ids)
  })
  return seen
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: a submitted run is claimed in the submit's transaction (issue 10)`, { skip: dialect.skip }, () => {
    it('trigger: the new run is this node’s when the trigger commits, and it completes', { timeout: 60_000 }, async (t) => {
      const app = await createTestApp(t, { dialect })
      const created = await app.createTask({ conda_env: 'base', task_name: 'claimed', command: 'sleep 0.2' })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const taskId = created.body.task.task_id as number
      await app.runFinished((await app.store.runs.listForTask(taskId, 1))[0]!.id)

      const seen = supervisedAtTaskChanged(app)
      const res = await app.json(`/api/tasks/${taskId}/trigger`, { method: 'POST' })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      const run = (await app.store.runs.listForTask(taskId, 1))[0]!
      assert.equal(run.trigger, 'manual')
      assert.deepEqual(seen.get(taskId), [run.id], 'the triggered run is supervised when the trigger announces it')
      assert.equal(run.workerId !== null, true, 'claimed by this node')
      await app.runFinished(run.id)
      assert.equal((await app.store.runs.findById(run.id))?.status, 'completed')
    })

    it('create: the first run is this node’s when the create commits, and it completes', { timeout: 60_000 }, async (t) => {
      const app = await createTestApp(t, { dialect })
      const seen = supervisedAtTaskChanged(app)
      const created = await app.createTask({ conda_env: 'base', task_name: 'claimed-at-create', command: 'sleep 0.2' })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const taskId = created.body.task.task_id as number
      const run = (await app.store.runs.listForTask(taskId, 1))[0]!
      assert.deepEqual(seen.get(taskId), [run.id], 'the created run is supervised when the create announces it')
      await app.runFinished(run.id)
      assert.equal((await app.store.runs.findById(run.id))?.status, 'completed')
    })

    it('with every slot taken the trigger claims nothing: the run waits queued and starts when the slot frees', { timeout: 60_000 }, async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_MAX_WORKERS: '1' } })
      const busy = await app.createTask({ conda_env: 'base', task_name: 'busy', command: 'sleep 1' })
      assert.equal(busy.status, 201, JSON.stringify(busy.body))
      const busyRun = await app.runningRun(busy.body.task.task_id)
      const other = await app.createTask({ conda_env: 'base', task_name: 'waits', command: 'true', cron_expression: '0 0 1 1 *' })
      assert.equal(other.status, 201, JSON.stringify(other.body))
      const taskId = other.body.task.task_id as number

      const seen = supervisedAtTaskChanged(app)
      const res = await app.json(`/api/tasks/${taskId}/trigger`, { method: 'POST' })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      const run = (await app.store.runs.listForTask(taskId, 1))[0]!
      assert.deepEqual(seen.get(taskId), [busyRun.runId], 'only the busy run is supervised')
      assert.equal((await app.store.runs.findById(run.id))?.status, 'queued')
      await app.runFinished(run.id)
      const [first, second] = [await app.store.runs.findById(busyRun.runId), await app.store.runs.findById(run.id)]
      assert.equal(second?.status, 'completed')
      assert.ok(second!.startedAt! >= first!.endedAt!, 'started after the busy run ended')
    })
  })
}
