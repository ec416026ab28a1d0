import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { closeRun } from '../../src/services/close-run.ts'
import type { Store } from '../../src/store/store.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newRun, newTask, openTestStore, T0 } from '../store/store-fixtures.ts'

for (const dialect of testDialects()) {
  describe(`${dialect.name}: closeRun`, { skip: dialect.skip }, () => {
    it("writes the run's end and its task's status after it, with the last run's time, duration and id", async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ status: 'running', cronExpression: '* * * * *', nextRunAt: T0 + 60_000 }))
      const queued = await store.runs.insert(newRun(task.id))
      const run = (await store.runs.update(queued.id, { status: 'running', workerId: 'node-a', pid: 42, startedAt: T0 + 10 }))!

      await closeRun(store, run, { status: 'failed', endedAt: T0 + 510, exitCode: 3, signal: null, error: null, peakRssBytes: 1024 })

      assert.deepEqual(await store.runs.findById(run.id), { ...run, status: 'failed', endedAt: T0 + 510, exitCode: 3, peakRssBytes: 1024 })
      assert.deepEqual(await store.tasks.findById(task.id), {
        ...task,
        status: 'scheduled',
        lastRunAt: T0 + 10,
        lastRunDurationMs: 500,
        lastRunId: run.id,
      })
    })

    it('measures from the start the database holds, which the worker may have written after the caller read the run', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ status: 'running' }))
      const claimed = (await store.runs.update((await store.runs.insert(newRun(task.id))).id, { status: 'running', startedAt: T0 }))!
      await store.runs.update(claimed.id, { startedAt: T0 + 200 })
      await closeRun(store, claimed, { status: 'completed', endedAt: T0 + 1_200, exitCode: 0 })
      const after = await store.tasks.findById(task.id)
      assert.deepEqual([after?.status, after?.lastRunAt, after?.lastRunDurationMs], ['completed', T0 + 200, 1_000])
    })

    it("is one transaction: when the task's write fails, the run is not closed either", async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ status: 'running' }))
      const run = (await store.runs.update((await store.runs.insert(newRun(task.id))).id, { status: 'running', startedAt: T0 }))!
      const failingTaskWrite: Store = {
        ...store,
        transaction: (fn) =>
          store.transaction((tx) =>
            fn({
              ...tx,
              tasks: {
                ...tx.tasks,
                update: () => Promise.reject(new Error('disk I/O error')),
              },
            }),
          ),
      }
      await assert.rejects(closeRun(failingTaskWrite, run, { status: 'completed', endedAt: T0 + 100, exitCode: 0 }), /disk I\/O error/)
      assert.deepEqual(await store.runs.findById(run.id), run)
      assert.deepEqual(await store.tasks.findById(task.id), task)
    })
  })
}
