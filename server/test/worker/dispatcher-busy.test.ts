import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TaskyardError } from '../../src/domain/errors.ts'
import type { Environments } from '../../src/environments/environments.ts'
import { EventBus } from '../../src/events/events.ts'
import { createLocalExecutor } from '../../src/executor/local/local-executor.ts'
import { createFileLogStore } from '../../src/logs/file-log-store.ts'
import { createDispatcher } from '../../src/worker/dispatcher.ts'
import type { Store } from '../../src/store/store.ts'
import { queuedRun, unlimitedSettings } from './queued-run.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { openTestStore } from '../store/store-fixtures.ts'

const busy = (): TaskyardError => new TaskyardError('database_busy', 'Database is busy', { error: 'Another process holds the SQLite write lock' })

for (const dialect of testDialects()) {
  describe(`${dialect.name}: dispatcher while the database is busy`, { skip: dialect.skip }, () => {
    it('a refused claim is tried again, and a run end the database refused is retried until it is written', { timeout: 30_000 }, async (t) => {
      const { store } = await openTestStore(t, dialect)
      const { paths, task, run } = await queuedRun(t, store, 'echo ran')

      // The store as it behaves when another process holds the lock: the first claim (a
      // transaction that locks the queue's settings, issue 8) and the first two attempts to
      // write the run's end fail with database_busy, the latter as a refused commit.
      let claimsRefused = 0
      let endsRefused = 0
      const flaky: Store = {
        ...store,
        transaction: (fn) =>
          store.transaction(async (tx) => {
            let claim = false
            const lock = async () => {
              claim = true
              if (claimsRefused++ === 0) throw busy()
              return tx.queueSettings.lock()
            }
            const result = await fn({ ...tx, queueSettings: { ...tx.queueSettings, lock } })
            if (!claim && endsRefused < 2) {
              endsRefused += 1
              throw busy()
            }
            return result
          }),
      }
      const errors: string[] = []
      const bus = new EventBus()
      const dispatcher = createDispatcher({
        store: flaky,
        executor: createLocalExecutor(),
        clock: { now: () => Date.now() },
        bus,
        paths,
        logs: createFileLogStore({ dir: paths.logsDir }),
        workerId: 'node-test',
        environments: { runEnvironment: async () => ({ pathPrefix: [], env: {} }) } as unknown as Environments,
        onError: (e, context) => void errors.push(`${context}: ${(e as Error).message}`),
        settings: unlimitedSettings(),
      })
      t.after(() => dispatcher.shutdown('test over'))
      const finished = bus.waitFor('run:finished', (e) => e.runId === run.id)
      dispatcher.wake()
      assert.deepEqual(await finished, { runId: run.id, taskId: task.id, status: 'completed' })
      const after = await store.runs.findById(run.id)
      assert.equal(after?.status, 'completed')
      assert.equal(after?.exitCode, 0)
      assert.equal(after?.workerId, 'node-test')
      assert.equal((await store.tasks.findById(task.id))?.lastRunId, run.id)
      assert.deepEqual(errors, [
        'dispatcher: Database is busy',
        `run ${run.id} end (attempt 1): Another process holds the SQLite write lock; retrying until it is written`,
        `run ${run.id} end: written after 3 attempts`,
      ])
    })
  })
}
