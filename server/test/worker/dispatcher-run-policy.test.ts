/**
 * The dispatcher's half of issue 6: it hands the executor the task's account, limits and isolation,
 * and persists what the executor measured at exit (peak memory, truncated output, memory_limit).
 * The executor is a scripted stand-in: what it does with the fields is its own suite's subject
 * (server/test/executor); here the store and the dispatcher are real, on both dialects.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import type { Clock } from '../../src/domain/clock.ts'
import type { Environments } from '../../src/environments/environments.ts'
import { EventBus } from '../../src/events/events.ts'
import type { Executor, RunEvent, RunSpec } from '../../src/executor/executor.ts'
import { dataPaths } from '../../src/lib/paths.ts'
import { createFileLogStore } from '../../src/logs/file-log-store.ts'
import { createDispatcher } from '../../src/worker/dispatcher.ts'
import type { Store } from '../../src/store/store.ts'
import { newTask } from '../store/store-fixtures.ts'
import { testDialects, type TestDialect } from '../helpers/test-dialects.ts'

type Exit = Extract<RunEvent, { type: 'exited' }>

/** Records each spec and ends the run at once with the scripted exit. */
function scriptedExecutor(exit: Omit<Exit, 'type' | 'at'>): Executor & { specs: RunSpec[] } {
  const specs: RunSpec[] = []
  return {
    specs,
    start(spec, onEvent) {
      specs.push(spec)
      queueMicrotask(() => {
        onEvent({ type: 'started', pid: 4242, at: 1_000 })
        onEvent({ type: 'sample', rssBytes: 3 * 1024 * 1024, at: 1_100 })
        onEvent({ type: 'exited', at: 1_200, ...exit })
      })
      return { pid: 4242, pause() {}, resume() {}, async stop() {}, writeInput() {}, closeInput() {} }
    },
    containment: 'none (scripted)',
    isolation: 'scripted',
    canLimitMemory: true,
    isGroupAlive: () => false,
    async killOrphanedRun() {},
  }
}

const environments = {
  async runEnvironment() {
    return { pathPrefix: [], env: {} }
  },
} as unknown as Environments

async function setup(
  t: TestContext,
  dialect: TestDialect,
  executor: Executor,
  task: { runAs?: string | null; memoryLimitMb?: number | null; maxLogMb?: number | null } = {},
  clock: Clock = { now: () => 2_000 },
) {
  // Undone last to first: the dispatcher stops before its database goes.
  const undo: (() => Promise<unknown>)[] = []
  t.after(async () => {
    for (const step of undo.reverse()) await step()
  })
  const opened = await dialect.open()
  undo.push(() => opened.cleanup())
  const store: Store = opened.store
  const root = await mkdtemp(path.join(tmpdir(), 'taskyard-policy-'))
  undo.push(() => rm(root, { recursive: true, force: true }))
  const paths = dataPaths(root)
  const created = await store.tasks.insert(newTask({ status: 'running', command: 'python x.py', ...task }))
  await mkdir(paths.taskDir(created.id), { recursive: true })
  const run = await store.runs.insert({ taskId: created.id, priority: 5, trigger: 'manual', queuedAt: 1 })
  const bus = new EventBus()
  const prepared: unknown[] = []
  const dispatcher = createDispatcher({
    store,
    executor,
    environments,
    clock,
    bus,
    paths,
    logs: createFileLogStore({ dir: paths.logsDir }),
    workerId: 'test',
    onError: (e) => {
      throw e
    },
    accounts: { canSwitch: true, resolve: async (spec) => (spec === 'jobs' ? { name: 'jobs', uid: 1500, gid: 1600 } : null) },
    async prepareRunDirs(dirs) {
      prepared.push(dirs)
    },
    settings: {
      maxWorkers: null,
      runTimeoutMs: null,
      killGraceMs: 1000,
      sampleIntervalMs: 1000,
      childEnv: { PATH: '/usr/bin:/bin' },
      runAccount: { name: 'taskyard-run', uid: 999, gid: 995 },
      maxLogBytes: 1024 ** 3,
      isolate: true,
    },
  })
  undo.push(() => dispatcher.shutdown('test over'))
  const finished = bus.waitFor('run:finished', (e) => e.runId === run.id)
  dispatcher.wake()
  await finished
  return { store, run: (await store.runs.findById(run.id))!, taskId: created.id, paths, prepared }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: dispatcher run policy (issue 6)`, { skip: dialect.skip }, () => {
    it("hands the executor the default account, the task's limits and the isolation, after preparing its folders", async (t) => {
      const executor = scriptedExecutor({ exitCode: 0, signal: null, reason: 'exit' })
      const { run, taskId, paths, prepared } = await setup(t, dialect, executor, { memoryLimitMb: 64, maxLogMb: 5 })
      const spec = executor.specs[0]!
      assert.deepEqual(
        [spec.runAs, spec.memoryLimitBytes, spec.maxOutputBytes, spec.isolation],
        [
          { uid: 999, gid: 995 },
          64 * 1024 * 1024,
          5 * 1024 * 1024,
          { hidden: [paths.root], writable: [paths.taskDir(taskId), paths.runOutputDir(taskId, run.id)], readOnly: [paths.envsDir] },
        ],
      )
      assert.deepEqual(prepared, [
        {
          taskDir: paths.taskDir(taskId),
          taskOutputsDir: paths.taskOutputsDir(taskId),
          outputDir: paths.runOutputDir(taskId, run.id),
          account: { name: 'taskyard-run', uid: 999, gid: 995 },
        },
      ])
      assert.equal(run.outputTruncated, false)
      assert.equal(run.peakRssBytes, 3 * 1024 * 1024, 'without a cgroup figure, the sampled peak')
    })

    it("a task's run_as wins over the default", async (t) => {
      const executor = scriptedExecutor({ exitCode: 0, signal: null, reason: 'exit' })
      await setup(t, dialect, executor, { runAs: 'jobs' })
      assert.deepEqual(executor.specs[0]!.runAs, { uid: 1500, gid: 1600 })
    })

    it('a run_as user removed since fails the run with the reason, and nothing is started', async (t) => {
      const executor = scriptedExecutor({ exitCode: 0, signal: null, reason: 'exit' })
      const { run } = await setup(t, dialect, executor, { runAs: 'gone' })
      assert.equal(executor.specs.length, 0)
      assert.deepEqual([run.status, run.error], ['failed', "Could not start the command: the task's run_as user 'gone' does not exist on this host"])
    })

    it("persists the executor's peak (over the sampled one) and truncated output", async (t) => {
      const executor = scriptedExecutor({ exitCode: 0, signal: null, reason: 'exit', peakRssBytes: 7 * 1024 * 1024, outputTruncated: true })
      const { run } = await setup(t, dialect, executor)
      assert.deepEqual([run.status, run.peakRssBytes, run.outputTruncated], ['completed', 7 * 1024 * 1024, true])
    })

    it("takes the run's start and end from its own clock, not the executor's, so its duration is on one clock", async (t) => {
      // The scripted executor reports its events at 1_000 and 1_200 on a clock of its own.
      let now = 50_000
      const clock = { now: () => (now += 1_000) }
      const executor = scriptedExecutor({ exitCode: 0, signal: null, reason: 'exit' })
      const { run, store, taskId } = await setup(t, dialect, executor, {}, clock)
      assert.ok(run.startedAt! > 50_000 && run.endedAt! > run.startedAt!, `start ${run.startedAt}, end ${run.endedAt}`)
      const task = await store.tasks.findById(taskId)
      assert.deepEqual([task?.lastRunAt, task?.lastRunDurationMs], [run.startedAt, run.endedAt! - run.startedAt!])
    })

    it('a run ended by its memory limit is failed with that reason, and so is its task', async (t) => {
      const executor = scriptedExecutor({ exitCode: null, signal: 'SIGKILL', reason: 'memory_limit', peakRssBytes: 64 * 1024 * 1024 })
      const { run, store, taskId } = await setup(t, dialect, executor, { memoryLimitMb: 64 })
      assert.deepEqual(
        [run.status, run.error, run.signal, run.peakRssBytes],
        ['failed', 'Run exceeded its memory limit and was ended', 'SIGKILL', 64 * 1024 * 1024],
      )
      assert.equal((await store.tasks.findById(taskId))?.status, 'failed')
    })
  })
}
