import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import type { Actor } from '../../src/services/auth/record-audit.ts'
import type { ServiceDeps } from '../../src/services/deps.ts'
import { pauseTask } from '../../src/services/pause-task.ts'
import { cancelExecution, cancelRuns } from '../../src/services/queue/cancel-runs.ts'
import { resumeTask } from '../../src/services/resume-task.ts'
import { stopTask } from '../../src/services/stop-task.ts'
import { triggerTask } from '../../src/services/trigger-task.ts'
import { EventBus } from '../../src/events/events.ts'
import { createLocalExecutor } from '../../src/executor/local/local-executor.ts'
import { createFileLogStore } from '../../src/logs/file-log-store.ts'
import { openStore } from '../../src/store/kysely-store.ts'
import type { Store } from '../../src/store/store.ts'
import { createDispatcher } from '../../src/worker/dispatcher.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { unlimitedSettings } from '../worker/queued-run.ts'

const post = (body?: unknown): RequestInit =>
  body === undefined ? { method: 'POST' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }

/**
 * Polls the database until `check` holds: the supervising server applies a request on its own
 * poll, and no event crosses servers. The deadline only bounds a failure.
 */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * "Server B": the services of a second node on the same database, whose worker (a real
 * dispatcher, node-b) supervises none of A's runs. One Taskyard server per database is enforced
 * until the worker fleet exists, so B is built here from A's parts, not started as a process.
 */
function secondServer(t: TestContext, a: TestApp): ServiceDeps {
  const worker = createDispatcher({
    store: a.store,
    executor: createLocalExecutor({ containment: 'none' }),
    environments: a.services.environments,
    clock: { now: () => Date.now() },
    bus: new EventBus(),
    paths: a.paths,
    logs: createFileLogStore({ dir: a.paths.logsDir }),
    workerId: 'node-b',
    onError: () => undefined,
    settings: { ...unlimitedSettings(), maxWorkers: 1 },
  })
  t.after(() => worker.shutdown('test over'))
  return { ...a.services, runControl: worker }
}

async function runningTask(a: TestApp, name: string): Promise<{ taskId: number; runId: number }> {
  const res = await a.createTask({ conda_env: 'base', task_name: name, command: 'sleep 60' })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  const taskId = res.body.task.task_id as number
  const { runId } = await a.runningRun(taskId)
  return { taskId, runId }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: stop, pause, resume and cancel from any server (issue 8)`, { skip: dialect.skip }, () => {
    it('pause, resume and stop given on a server that does not supervise the run are applied by the one that does', async (t) => {
      const a = await createTestApp(t, { dialect })
      const b = secondServer(t, a)
      const admin: Actor = { user: (await a.store.users.findByUsername('admin'))!, ip: null }
      const { taskId, runId } = await runningTask(a, 'elsewhere')

      const paused = await pauseTask(b, admin, taskId, 'maintenance')
      assert.deepEqual([paused.requested, paused.task.status], [true, 'paused'])
      await until('A to apply the pause', async () => (await a.store.runs.findById(runId))!.requestedAction === null)
      assert.deepEqual([(await a.store.runs.findById(runId))!.status, (await a.store.runs.findById(runId))!.pauseReason], ['paused', 'maintenance'])

      const resumed = await resumeTask(b, admin, taskId)
      assert.deepEqual([resumed.requested, resumed.task.status], [true, 'running'])
      await until('A to apply the resume', async () => (await a.store.runs.findById(runId))!.requestedAction === null)
      assert.equal((await a.store.runs.findById(runId))!.status, 'running', 'resumed where it runs, never queued again')

      const finished = a.runFinished(runId)
      const stopped = await stopTask(b, admin, taskId, 'done here')
      assert.deepEqual([stopped.requested, stopped.task.status], [true, 'stopped'])
      await finished
      const run = (await a.store.runs.findById(runId))!
      assert.deepEqual([run.status, run.stopReason, run.stoppedBy, run.requestedAction], ['cancelled', 'done here', 'admin', null])
      assert.equal((await a.store.runs.listForTask(taskId, 10)).length, 1)
    })

    it('a replace trigger on the other server asks for the old run to stop where it runs; the new run starts once it has', async (t) => {
      const a = await createTestApp(t, { dialect })
      const b = secondServer(t, a)
      const admin: Actor = { user: (await a.store.users.findByUsername('admin'))!, ip: null }
      const res = await a.createTask({ conda_env: 'base', task_name: 'replaced-elsewhere', command: 'sleep 60', concurrency: 'replace' })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      const taskId = res.body.task.task_id as number
      const { runId } = await a.runningRun(taskId)
      const finished = a.runFinished(runId)
      await triggerTask(b, admin, taskId)
      const asked = (await a.store.runs.findById(runId))!
      // Never marked ended while its process goes on: A is asked, and A ends it.
      assert.deepEqual([asked.status, asked.requestedAction, asked.stopReason], ['running', 'stop', `Replaced by run ${runId + 1}`])
      await finished
      assert.equal((await a.store.runs.findById(runId))!.status, 'cancelled')
      await until('the new run to start', async () => (await a.store.runs.findById(runId + 1))?.startedAt != null)
    })

    it('cancel of one run and cancel-all on the other server stop the runs where they run', async (t) => {
      const a = await createTestApp(t, { dialect })
      const b = secondServer(t, a)
      const admin: Actor = { user: (await a.store.users.findByUsername('admin'))!, ip: null }
      const one = await runningTask(a, 'cancel-one')
      const finished = a.runFinished(one.runId)
      const cancelled = await cancelExecution(b, admin, one.runId)
      assert.deepEqual([cancelled.requested, cancelled.previousStatus], [true, 'running'])
      await finished
      assert.equal((await a.store.runs.findById(one.runId))!.status, 'cancelled')

      const two = await runningTask(a, 'cancel-all')
      const done = a.runFinished(two.runId)
      assert.deepEqual(await cancelRuns(b, admin, { cancelRunning: true }), { cancelled: 1, failed: 0, total: 1 })
      await done
      assert.equal((await a.store.runs.findById(two.runId))!.status, 'cancelled')
    })

    it('the HTTP answers say the action was requested when another server supervises the run', async (t) => {
      const a = await createTestApp(t, { dialect })
      const res = await a.createTask({ conda_env: 'base', task_name: 'theirs', command: 'echo x', delay_seconds: '3600' })
      const taskId = res.body.task.task_id as number
      const far = Date.now() + 3_600_000
      // Out of A's reach (not before an hour from now); "node-elsewhere" claims it as another server would.
      const queued = await a.store.runs.insert({ taskId, priority: 5, trigger: 'manual', queuedAt: Date.now(), notBefore: far })
      await a.store.tasks.update(taskId, { status: 'running' })
      await a.store.runs.claimNext('node-elsewhere', far)

      assert.deepEqual(await a.json(`/api/tasks/${taskId}/pause`, post()), {
        status: 200,
        body: {
          success: true,
          message: 'Task paused successfully',
          task: { task_id: taskId, task_name: 'theirs', status: 'paused', previous_status: 'running' },
          requested: true,
        },
      })
      assert.equal((await a.json(`/api/executions/${queued.id}`)).body.execution.requested_action, 'pause')
      assert.equal((await a.json(`/api/tasks/${taskId}/resume`, post())).body.requested, true)
      assert.deepEqual(await a.json(`/api/executions/${queued.id}/cancel`, post()), {
        status: 200,
        body: {
          success: true,
          message: `Execution cancelled: ${queued.id}`,
          execution_id: queued.id,
          task_id: taskId,
          previous_status: 'running',
          status: 'running',
          requested: true,
        },
      })
      const detail = (await a.json(`/api/executions/${queued.id}`)).body.execution
      assert.deepEqual([detail.status, detail.requested_action], ['running', 'stop'], 'requested, not applied: only its server can')
    })
  })
}

const postgres = testDialects().find((d) => d.name === 'postgres')!

describe('postgres: stop races a claim by another server', { skip: postgres.skip }, () => {
  it('stop never marks cancelled a run that another server claims at that moment (compare-and-set on the status read)', async (t) => {
    const app = await createTestApp(t, { dialect: postgres })
    const res = await app.createTask({ conda_env: 'base', task_name: 'racing', command: 'echo x', delay_seconds: '3600' })
    const taskId = res.body.task.task_id as number
    const far = Date.now() + 3_600_000
    // Queued, and out of this server's reach (not before an hour from now): only "the other server" below claims it.
    const queued = await app.store.runs.insert({ taskId, priority: 5, trigger: 'manual', queuedAt: Date.now(), notBefore: far })
    await app.store.tasks.update(taskId, { status: 'running' })
    const other = await openStore({ databaseUrl: app.databaseUrl })
    t.after(() => other.close())

    // The stop reads the run queued; before it writes, another server claims it (its own connection, committed).
    let claimed = false
    const racing: Store = {
      ...app.store,
      transaction: (fn) =>
        app.store.transaction((tx) =>
          fn({
            ...tx,
            runs: {
              ...tx.runs,
              async listActiveForTask(id) {
                const read = await tx.runs.listActiveForTask(id)
                if (!claimed && read.some((run) => run.status === 'queued')) {
                  claimed = (await other.runs.claimNext('node-elsewhere', far)) !== undefined
                }
                return read
              },
            },
          }),
        ),
    }
    const admin = (await app.store.users.findByUsername('admin'))!
    const result = await stopTask({ ...app.services, store: racing }, { user: admin, ip: null }, taskId)
    assert.equal(claimed, true, 'the claim happened between the read and the write')
    assert.equal(result.requested, true)
    const run = (await app.store.runs.findById(queued.id))!
    assert.deepEqual([run.status, run.workerId, run.requestedAction, run.endedAt], ['running', 'node-elsewhere', 'stop', null])
  })
})
