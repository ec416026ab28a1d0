import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import type { Environments } from '../../src/environments/environments.ts'
import { EventBus } from '../../src/events/events.ts'
import { createLocalExecutor } from '../../src/executor/local/local-executor.ts'
import { dataPaths } from '../../src/lib/paths.ts'
import { createFileLogStore } from '../../src/logs/file-log-store.ts'
import { openStore } from '../../src/store/kysely-store.ts'
import type { Store } from '../../src/store/store.ts'
import { createDispatcher, type Dispatcher } from '../../src/worker/dispatcher.ts'
import { fakeClock, fakeTimers } from '../helpers/fake-timers.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newTask } from '../store/store-fixtures.ts'
import { unlimitedSettings } from './queued-run.ts'

/** Environments are not what this is about: every run gets the test's own PATH. */
const plainEnvironments = { runEnvironment: async () => ({ pathPrefix: [], env: {} }) } as unknown as Environments

/** Polls the database until `check` holds (the deadline only bounds a failure). */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: automatic retries with two dispatchers on one database (issue 8)`, { skip: dialect.skip }, () => {
    it('each failed run gets exactly one retry, whichever node claims and closes it; the chain stops at max_retries', async (t) => {
      const opened = await dialect.open()
      const cleanups: (() => Promise<unknown>)[] = []
      // In this order: the nodes stop before their databases close.
      t.after(async () => {
        for (const cleanup of cleanups.reverse()) await cleanup()
      })
      cleanups.push(() => opened.cleanup())
      // Two nodes: on PostgreSQL each its own connection pool, as two servers would have.
      const stores: Store[] = [opened.store, dialect.name === 'postgres' ? await openStore({ databaseUrl: opened.databaseUrl }) : opened.store]
      if (stores[1] !== stores[0]) cleanups.push(() => stores[1]!.close())
      const root = await mkdtemp(path.join(tmpdir(), 'taskyard-retries-'))
      cleanups.push(() => rm(root, { recursive: true, force: true }))
      const paths = dataPaths(root)
      await mkdir(paths.logsDir, { recursive: true })
      const clock = fakeClock(Date.now())
      const timers = fakeTimers(clock)
      const task = await opened.store.tasks.insert(
        newTask({ status: 'running', command: 'exit 1', maxRetries: 4, retryBackoffSeconds: 1, retryMaxBackoffSeconds: 1 }),
      )
      await mkdir(paths.taskDir(task.id), { recursive: true })
      await opened.store.runs.insert({ taskId: task.id, priority: 5, trigger: 'manual', queuedAt: clock.t })

      const nodes: Dispatcher[] = ['node-a', 'node-b'].map((workerId, i) =>
        createDispatcher({
          store: stores[i]!,
          executor: createLocalExecutor({ containment: 'none' }),
          environments: plainEnvironments,
          clock,
          bus: new EventBus(),
          paths,
          logs: createFileLogStore({ dir: paths.logsDir }),
          workerId,
          timers: timers.timers,
          onError: (e) => {
            throw e
          },
          settings: unlimitedSettings(),
        }),
      )
      cleanups.push(() => Promise.all(nodes.map((n) => n.shutdown('test over'))))

      for (let attempt = 1; attempt <= 5; attempt++) {
        // Both nodes race for the run; the claim gives it to one.
        for (const node of nodes) node.wake()
        await until(`attempt ${attempt} to end`, async () => {
          const runs = await opened.store.runs.listForTask(task.id, 10)
          const ended = runs.find((r) => r.attempt === attempt && r.endedAt != null)
          return ended != null && (attempt === 5 || runs.some((r) => r.attempt === attempt + 1))
        })
        const next = (await opened.store.runs.listForTask(task.id, 1))[0]!
        if (attempt < 5) {
          assert.deepEqual([next.status, next.attempt], ['queued', attempt + 1])
          // Not before its backoff: both nodes look, neither claims.
          for (const node of nodes) node.wake()
          await until('both pumps to look', async () => timers.dueTimes().length > 0)
          assert.equal((await opened.store.runs.findById(next.id))!.status, 'queued')
          clock.t = next.notBefore!
        }
      }
      const runs = (await opened.store.runs.listForTask(task.id, 100)).reverse()
      assert.deepEqual(
        runs.map((r) => [r.attempt, r.status, r.retryOf]),
        [
          [1, 'failed', null],
          [2, 'failed', runs[0]!.id],
          [3, 'failed', runs[1]!.id],
          [4, 'failed', runs[2]!.id],
          [5, 'failed', runs[3]!.id],
        ],
      )
      assert.ok(runs.every((r) => r.workerId === 'node-a' || r.workerId === 'node-b'))
      assert.equal((await opened.store.tasks.findById(task.id))!.status, 'failed')
    })
  })
}
