import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { retryDelayMs, shouldRetry } from '../../src/domain/retry-policy.ts'
import { claimNextRun } from '../../src/services/claim-next-run.ts'
import { closeRun } from '../../src/services/close-run.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newRun, newTask, openTestStore, T0 } from '../store/store-fixtures.ts'

describe('retry policy (issue 8)', () => {
  it('waits base × 2^(attempt − 1), never more than the cap', () => {
    const task = { retryBackoffSeconds: 3, retryMaxBackoffSeconds: 20 }
    assert.deepEqual(
      [1, 2, 3, 4, 5, 40].map((a) => retryDelayMs(task, a)),
      [3_000, 6_000, 12_000, 20_000, 20_000, 20_000],
    )
  })

  it('retries failed, timeout and abnormal runs of a running task with attempts left, nothing else', () => {
    const running = { status: 'running' as const, maxRetries: 2 }
    assert.deepEqual(
      (['failed', 'timeout', 'abnormal', 'completed', 'cancelled'] as const).map((s) => shouldRetry(running, { attempt: 1 }, s)),
      [true, true, true, false, false],
    )
    assert.equal(shouldRetry(running, { attempt: 2 }, 'failed'), true)
    assert.equal(shouldRetry(running, { attempt: 3 }, 'failed'), false, 'attempt 3 is the last of 1 + 2 retries')
    assert.equal(shouldRetry({ status: 'stopped', maxRetries: 2 }, { attempt: 1 }, 'failed'), false)
    assert.equal(shouldRetry({ status: 'running', maxRetries: 0 }, { attempt: 1 }, 'failed'), false)
  })
})

for (const dialect of testDialects()) {
  describe(`${dialect.name}: automatic retries in the store (issue 8)`, { skip: dialect.skip }, () => {
    it('claims a queued run only from its not-before time, and tells the worker when that is', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ status: 'running' }))
      const run = await store.runs.insert(newRun(task.id, { notBefore: T0 + 5_000 }))
      assert.equal(await store.runs.nextNotBefore(T0), T0 + 5_000)
      assert.equal(await claimNextRun(store, 'node-a', T0 + 4_999, null), undefined)
      assert.equal((await store.runs.findById(run.id))!.status, 'queued')
      const claimed = await claimNextRun(store, 'node-a', T0 + 5_000, null)
      assert.deepEqual([claimed?.id, claimed?.status], [run.id, 'running'])
      assert.equal(await store.runs.nextNotBefore(T0), null)
    })

    it('two closes of one failed run at once (two servers) queue exactly one retry', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ status: 'running', maxRetries: 3, retryBackoffSeconds: 2 }))
      const queued = await store.runs.insert(newRun(task.id))
      const run = (await store.runs.update(queued.id, { status: 'running', workerId: 'node-a', pid: 42, startedAt: T0 }))!
      const retries = await Promise.all([
        closeRun(store, run, { status: 'failed', endedAt: T0 + 100, exitCode: 1 }),
        closeRun(store, run, { status: 'abnormal', endedAt: T0 + 100, error: 'recovered' }),
        closeRun(store, run, { status: 'failed', endedAt: T0 + 100, exitCode: 1 }),
      ])
      assert.equal(retries.filter((r) => r !== null).length, 1)
      const runs = await store.runs.listForTask(task.id, 10)
      assert.equal(runs.length, 2)
      assert.deepEqual(
        [runs[0]!.status, runs[0]!.attempt, runs[0]!.firstRunId, runs[0]!.retryOf, runs[0]!.notBefore],
        ['queued', 2, run.id, run.id, T0 + 2_100],
      )
      assert.equal((await store.tasks.findById(task.id))!.status, 'running')
    })

    it('queues no retry when the task already has another live run: that one comes next', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ status: 'running', maxRetries: 3 }))
      const first = await store.runs.insert(newRun(task.id))
      const run = (await store.runs.update(first.id, { status: 'running', workerId: 'node-a', startedAt: T0 }))!
      const waiting = await store.runs.insert(newRun(task.id, { queuedAt: T0 + 1 }))
      assert.equal(await closeRun(store, run, { status: 'failed', endedAt: T0 + 100, exitCode: 1 }), null)
      assert.deepEqual(
        (await store.runs.listForTask(task.id, 10)).map((r) => [r.id, r.status]),
        [
          [waiting.id, 'queued'],
          [run.id, 'failed'],
        ],
      )
    })

    it('the database refuses a second automatic retry of the same run (unique retry_of)', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ status: 'running' }))
      const first = await store.runs.insert(newRun(task.id))
      await store.runs.update(first.id, { status: 'failed', endedAt: T0 })
      const retry = await store.runs.insert(newRun(task.id, { retryOf: first.id, attempt: 2 }))
      await store.runs.update(retry.id, { status: 'failed', endedAt: T0 + 1 })
      await assert.rejects(store.runs.insert(newRun(task.id, { retryOf: first.id, attempt: 2 })))
    })

    it('updateIfStatus changes a run only in the status it was read in', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ status: 'running' }))
      const run = await store.runs.insert(newRun(task.id))
      await claimNextRun(store, 'node-b', T0, null)
      assert.equal(await store.runs.updateIfStatus(run.id, 'queued', { status: 'cancelled', endedAt: T0 }), undefined)
      assert.equal((await store.runs.findById(run.id))!.status, 'running')
      const done = await store.runs.updateIfStatus(run.id, 'running', { status: 'cancelled', endedAt: T0 })
      assert.equal(done?.status, 'cancelled')
    })

    it('records an action for the supervising server; a pending stop is never replaced', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ status: 'running' }))
      const run = await store.runs.insert(newRun(task.id))
      await claimNextRun(store, 'node-b', T0, null)
      assert.equal((await store.runs.requestAction(run.id, 'pause', ['running']))?.requestedAction, 'pause')
      assert.equal((await store.runs.requestAction(run.id, 'stop', ['running']))?.requestedAction, 'stop')
      assert.equal(await store.runs.requestAction(run.id, 'resume', ['running', 'paused']), undefined)
      assert.deepEqual(
        (await store.runs.listRequested('node-b')).map((r) => [r.id, r.requestedAction]),
        [[run.id, 'stop']],
      )
      assert.deepEqual(await store.runs.listRequested('node-a'), [])
      assert.equal(await store.runs.clearRequest(run.id, 'pause'), false, 'a newer request stays')
      assert.equal(await store.runs.clearRequest(run.id, 'stop'), true)
      assert.equal(await store.runs.requestAction(run.id, 'stop', ['queued']), undefined, 'only in the statuses given')
    })
  })
}
