/**
 * Issue 8: per-task concurrency policies against a running server with real processes, on both
 * dialects. Parallel triggers and per-second cron fires for each policy; the database's rule
 * (runs_task_lock) under a direct insert; the status of a task whose only live run is queued.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_LIVE_RUNS_PER_TASK } from '../../src/domain/concurrency.ts'
import type { Run } from '../../src/domain/run.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

/** Polls until `check` returns a value; the deadline only bounds a failure. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, deadlineMs = 30_000): Promise<T> {
  const until = Date.now() + deadlineMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function createTask(app: TestApp, name: string, command: string, fields: Record<string, string> = {}): Promise<number> {
  const res = await app.createTask({ conda_env: 'base', task_name: name, command, ...fields })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.task.task_id as number
}

const runsOf = (app: TestApp, taskId: number): Promise<Run[]> => app.store.runs.listForTask(taskId, 1000)
const live = (runs: Run[]) => runs.filter((r) => r.status === 'queued' || r.status === 'running' || r.status === 'paused')

function triggerMany(app: TestApp, taskId: number, n: number) {
  return Promise.all(Array.from({ length: n }, () => app.json(`/api/tasks/${taskId}/trigger`, { method: 'POST' })))
}

/** No two runs' [start, end] overlap: each started after the one before it ended. */
function assertOneAtATime(runs: Run[]): void {
  const started = runs.filter((r) => r.startedAt != null).sort((a, b) => a.startedAt! - b.startedAt! || a.id - b.id)
  for (let i = 1; i < started.length; i++) {
    const before = started[i - 1]!
    assert.ok(before.endedAt != null && before.endedAt <= started[i]!.startedAt!, `run ${started[i]!.id} started while run ${before.id} was live`)
  }
}

async function stopTask(app: TestApp, taskId: number): Promise<void> {
  const res = await app.json(`/api/tasks/${taskId}/stop`, { method: 'POST' })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  await waitFor('every run ended', async () => live(await runsOf(app, taskId)).length === 0)
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: per-task concurrency (issue 8)`, { skip: dialect.skip }, () => {
    it('takes concurrency at create (multipart) and PUT, shows it, refuses a bad value naming the allowed ones and changes nothing', async (t) => {
      const app = await createTestApp(t, { dialect })
      const plain = await createTask(app, 'plain', 'echo hi', { cron_expression: '0 0 1 1 *' })
      assert.equal((await app.json(`/api/tasks/${plain}`)).body.task.concurrency, undefined, 'the default (forbid) keeps spec 000’s shape')

      const created = await app.createTask({
        conda_env: 'base',
        task_name: 'queued-kind',
        command: 'echo hi',
        cron_expression: '0 0 1 1 *',
        concurrency: 'queue',
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const id = created.body.task.task_id as number
      assert.equal(created.body.task.concurrency, 'queue')
      assert.equal((await app.store.tasks.findById(id))!.concurrency, 'queue')

      const put = (body: unknown) =>
        app.json(`/api/tasks/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      const changed = await put({ concurrency: 'replace' })
      assert.equal(changed.status, 200, JSON.stringify(changed.body))
      assert.equal(changed.body.task.concurrency, 'replace')
      assert.equal((await app.json(`/api/tasks/${id}`)).body.task.concurrency, 'replace')

      const bad = await put({ concurrency: 'sometimes' })
      assert.equal(bad.status, 400)
      assert.equal(bad.body.success, false)
      for (const word of ['forbid', 'queue', 'allow', 'replace', 'sometimes']) assert.match(bad.body.error, new RegExp(word))
      assert.equal((await app.store.tasks.findById(id))!.concurrency, 'replace')

      const before = (await app.json('/api/tasks')).body.length
      const refused = await app.createTask({ conda_env: 'base', task_name: 'never', command: 'echo hi', concurrency: 'parallel' })
      assert.equal(refused.status, 400)
      assert.match(refused.body.error, /concurrency must be one of 'forbid', 'queue', 'allow', 'replace'/)
      assert.equal((await app.json('/api/tasks')).body.length, before)
      assert.equal(await app.store.tasks.findByName('never'), undefined)
    })

    it('forbid (default): parallel triggers of a running task are all refused with spec 000’s 400; the database refuses a second lock-holding run', async (t) => {
      const app = await createTestApp(t, { dialect })
      const id = await createTask(app, 'forbid', 'sleep 30')
      await app.runningRun(id)
      const answers = await triggerMany(app, id, 8)
      for (const res of answers) {
        assert.equal(res.status, 400)
        assert.equal(res.body.error, "Cannot trigger a task with status: 'running'")
        assert.equal(res.body.current_status, 'running')
      }
      assert.equal(live(await runsOf(app, id)).length, 1)
      // Past the services: the unique index runs_task_lock, both with the task's policy and told.
      await assert.rejects(app.store.runs.insert({ taskId: id, priority: 5, trigger: 'manual', queuedAt: Date.now() }), /Task cannot be triggered/)
      await assert.rejects(
        app.store.runs.insert({ taskId: id, priority: 5, trigger: 'manual', queuedAt: Date.now(), holdsLock: true }),
        /Task cannot be triggered/,
      )
      assert.equal(live(await runsOf(app, id)).length, 1)
      await stopTask(app, id)
    })

    it('allow: parallel triggers of a running task each start a run beside it; stop ends them all', async (t) => {
      const app = await createTestApp(t, { dialect })
      const id = await createTask(app, 'allow', 'sleep 30', { concurrency: 'allow' })
      await app.runningRun(id)
      const answers = await triggerMany(app, id, 5)
      for (const res of answers) assert.equal(res.status, 200, JSON.stringify(res.body))
      await waitFor('six runs running at once', async () => (await runsOf(app, id)).filter((r) => r.status === 'running').length === 6)
      await stopTask(app, id)
      assert.equal((await app.json(`/api/tasks/${id}`)).body.task.status, 'stopped')
      assert.ok((await runsOf(app, id)).every((r) => r.status === 'cancelled'))
    })

    it('queue: parallel triggers of a running task queue runs that start one at a time, each after the previous one ended', async (t) => {
      const app = await createTestApp(t, { dialect })
      const id = await createTask(app, 'queue', 'sleep 0.4', { concurrency: 'queue' })
      await app.runningRun(id)
      const answers = await triggerMany(app, id, 5)
      for (const res of answers) assert.equal(res.status, 200, JSON.stringify(res.body))
      const runs = await waitFor('six runs completed', async () => {
        const all = await runsOf(app, id)
        return all.length === 6 && all.every((r) => r.status === 'completed') && all
      })
      assertOneAtATime(runs)
      assert.equal((await app.json(`/api/tasks/${id}`)).body.task.status, 'completed')
    })

    it('replace: parallel triggers stop the live run, naming its replacement; one run is left and no two ever overlapped', async (t) => {
      const app = await createTestApp(t, { dialect })
      const id = await createTask(app, 'replace', 'sleep 30', { concurrency: 'replace' })
      const { runId: first } = await app.runningRun(id)
      const answers = await triggerMany(app, id, 4)
      for (const res of answers) assert.equal(res.status, 200, JSON.stringify(res.body))
      const runs = await waitFor('one run left, running', async () => {
        const all = await runsOf(app, id)
        const left = live(all)
        return all.length === 5 && left.length === 1 && left[0]!.status === 'running' && all
      })
      const replaced = runs.filter((r) => r.status !== 'running')
      assert.equal(replaced.length, 4)
      assert.ok(replaced.some((r) => r.id === first))
      for (const r of replaced) {
        assert.equal(r.status, 'cancelled')
        const by = Number(/^Replaced by run (\d+)$/.exec(r.stopReason ?? '')?.[1])
        assert.ok(by > r.id, `run ${r.id}: ${r.stopReason}`)
        assert.equal(r.stoppedBy, 'admin')
      }
      assertOneAtATime(runs)
      const detail = await app.json(`/api/executions/${first}`)
      assert.match(detail.body.execution.stop_reason, /^Replaced by run \d+$/)
      await stopTask(app, id)
    })

    it('per-second cron fires under each policy: forbid records the skipped times, allow runs beside, queue waits, replace replaces', async (t) => {
      const app = await createTestApp(t, { dialect })
      const every = { cron_expression: '* * * * * *' }
      const forbid = await createTask(app, 'cron-forbid', 'sleep 30', every)
      const allow = await createTask(app, 'cron-allow', 'sleep 30', { ...every, concurrency: 'allow' })
      const queue = await createTask(app, 'cron-queue', 'sleep 30', { ...every, concurrency: 'queue' })
      const replace = await createTask(app, 'cron-replace', 'sleep 30', { ...every, concurrency: 'replace' })

      const skipped = await waitFor('a skipped time of the forbid task', async () => {
        const h = await app.json(`/api/schedules/${forbid}/history`)
        return h.body.slots?.find((s: any) => s.outcome === 'skipped' && s.reason === 'run_active')
      })
      assert.equal(skipped.execution_id, null)
      await waitFor('two allow runs running', async () => (await runsOf(app, allow)).filter((r) => r.status === 'running').length >= 2)
      await waitFor('a queue run waiting behind the running one', async () => {
        const runs = await runsOf(app, queue)
        return runs.some((r) => r.status === 'running') && runs.some((r) => r.status === 'queued')
      })
      await waitFor('a replaced run', async () =>
        (await runsOf(app, replace)).some((r) => r.status === 'cancelled' && /^Replaced by run \d+$/.test(r.stopReason ?? '')),
      )

      for (const id of [forbid, allow, queue, replace]) {
        const res = await app.json(`/api/tasks/${id}/stop`, { method: 'POST' })
        assert.equal(res.status, 200, JSON.stringify(res.body))
      }
      for (const id of [forbid, queue, replace]) {
        const runs = await waitFor('every run ended', async () => {
          const all = await runsOf(app, id)
          return live(all).length === 0 && all
        })
        assertOneAtATime(runs)
      }
      // forbid never had a second run: every other time was skipped.
      const forbidRuns = await runsOf(app, forbid)
      assert.equal(forbidRuns.length, 1)
    })

    it('queue and allow stop at MAX_LIVE_RUNS_PER_TASK live runs: a trigger is 409 queue_full and changes nothing; a cron time is skipped as queue_full', async (t) => {
      const app = await createTestApp(t, { dialect })
      /** Queues runs of task `id` until it has `upTo` live runs, through the store: the set-up, not the rule under test. */
      const fillTo = async (id: number, upTo: number) => {
        const have = live(await runsOf(app, id)).length
        const now = Date.now()
        await app.store.runs.insertMany(
          Array.from({ length: upTo - have }, () => ({ taskId: id, priority: 5, trigger: 'manual' as const, queuedAt: now, holdsLock: false })),
        )
        assert.equal(live(await runsOf(app, id)).length, upTo)
      }
      for (const concurrency of ['queue', 'allow']) {
        const id = await createTask(app, `full-${concurrency}`, 'sleep 30', { concurrency })
        await app.runningRun(id)
        // One below the bound, a trigger is still taken.
        await fillTo(id, MAX_LIVE_RUNS_PER_TASK - 1)
        const last = await app.json(`/api/tasks/${id}/trigger`, { method: 'POST' })
        assert.equal(last.status, 200, JSON.stringify(last.body))
        // Ids only: an `allow` task's queued runs start meanwhile, within max_workers.
        const before = (await runsOf(app, id)).map((r) => r.id)
        const refused = await app.json(`/api/tasks/${id}/trigger`, { method: 'POST' })
        assert.equal(refused.status, 409, JSON.stringify(refused.body))
        assert.deepEqual(refused.body, {
          success: false,
          message: 'Task has too many live runs',
          error: `Task ${id} already has ${MAX_LIVE_RUNS_PER_TASK} live runs (concurrency '${concurrency}' allows at most ${MAX_LIVE_RUNS_PER_TASK}): wait for some to end or cancel them`,
          max_live_runs: MAX_LIVE_RUNS_PER_TASK,
        })
        assert.deepEqual(
          (await runsOf(app, id)).map((r) => r.id),
          before,
          'the refused trigger queued nothing',
        )
        await stopTask(app, id)
      }

      const cron = await createTask(app, 'full-cron', 'sleep 30', { cron_expression: '* * * * * *', concurrency: 'queue' })
      await app.runningRun(cron)
      await fillTo(cron, MAX_LIVE_RUNS_PER_TASK)
      const skipped = await waitFor('a time skipped as queue_full', async () => {
        const h = await app.json(`/api/schedules/${cron}/history`)
        return h.body.slots?.find((s: any) => s.outcome === 'skipped' && s.reason === 'queue_full')
      })
      assert.equal(skipped.execution_id, null)
      assert.equal(live(await runsOf(app, cron)).length, MAX_LIVE_RUNS_PER_TASK, 'no time queued a run past the bound')
      await stopTask(app, cron)
    })

    it('a task whose only live run is queued is not running: shown scheduled with its queue position, running once it starts', async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_MAX_WORKERS: '1' } })
      const busy = await createTask(app, 'holder', 'sleep 30')
      await app.runningRun(busy)
      const waiting = await createTask(app, 'waiter', 'echo done')
      const [run] = await runsOf(app, waiting)
      assert.equal(run!.status, 'queued')

      const detail = await app.json(`/api/tasks/${waiting}`)
      assert.equal(detail.body.task.status, 'scheduled')
      assert.equal(detail.body.task.queue_position, 1)
      const item = (await app.json('/api/tasks')).body.find((t: any) => t.task_id === waiting)
      assert.equal(item.status, 'scheduled')
      const execution = (await app.json(`/api/executions/${run!.id}`)).body.execution
      assert.equal(execution.status, 'queued')
      assert.equal(execution.queue_position, 1)
      assert.equal((await app.json(`/api/tasks/${busy}`)).body.task.status, 'running')
      assert.equal((await app.json(`/api/tasks/${busy}`)).body.task.queue_position, undefined)
      const stats = (await app.json('/api/tasks/stats')).body
      assert.deepEqual([stats.running, stats.scheduled], [1, 1], 'the stats count the waiting task as scheduled, as the list does')

      await stopTask(app, busy)
      await app.runFinished(run!.id)
      assert.equal((await app.json(`/api/tasks/${waiting}`)).body.task.status, 'completed')
    })
  })
}
