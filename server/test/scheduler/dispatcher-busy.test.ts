import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { TaskyardError } from '../../src/domain/errors.ts'
import type { Environments } from '../../src/environments/environments.ts'
import { EventBus } from '../../src/events/events.ts'
import { createLocalExecutor } from '../../src/executor/local/local-executor.ts'
import { dataPaths } from '../../src/lib/paths.ts'
import { createFileLogStore } from '../../src/logs/file-log-store.ts'
import { createDispatcher } from '../../src/scheduler/dispatcher.ts'
import type { Store } from '../../src/store/store.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newTask, openTestStore } from '../store/store-fixtures.ts'

const busy = (): TaskyardError => new TaskyardError('database_busy', 'Database is busy', { error: 'Another process holds the SQLite write lock' })

for (const dialect of testDialects()) {
  describe(`${dialect.name}: dispatcher while the database is busy`, { skip: dialect.skip }, () => {
    it('a refused claim is tried again, and a run end the database refused is retried until it is written', { timeout: 30_000 }, async (t) => {
      const { store } = await openTestStore(t, dialect)
      const root = await mkdtemp(path.join(tmpdir(), 'taskyard-dispatch-busy-'))
      t.after(() => rm(root, { recursive: true, force: true }))
      const paths = dataPaths(root)
      await mkdir(paths.logsDir, { recursive: true })
      const task = await store.tasks.insert(newTask({ status: 'running', command: 'echo ran' }))
      await mkdir(paths.taskDir(task.id), { recursive: true })
      const run = await store.runs.insert({ taskId: task.id, priority: 5, trigger: 'manual', queuedAt: 1 })

      // The store as it behaves when another process holds the lock: the first claim and the
      // first two attempts to write the run's end fail with database_busy.
      let claimsRefused = 0
      let endsRefused = 0
      const flaky: Store = {
        ...store,
        runs: {
          ...store.runs,
          claimNext: async (...args) => {
            if (claimsRefused++ === 0) throw busy()
            return store.runs.claimNext(...args)
          },
        },
        transaction: async (fn) => {
          if (endsRefused < 2) {
            endsRefused += 1
            throw busy()
          }
          return store.transaction(fn)
        },
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
        settings: {
          maxConcurrentRuns: null,
          runTimeoutMs: null,
          killGraceMs: 1000,
          sampleIntervalMs: 1000,
          childEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        },
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
