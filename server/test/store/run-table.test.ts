import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Run, RunBrief, RunPatch } from '../../src/domain/run.ts'
import type { Store } from '../../src/store/store.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newRun, newTask, openTestStore, runFrom, T0 } from './store-fixtures.ts'

/** A run of `taskId` brought to `patch`'s state, as stored. */
async function seedRun(store: Store, taskId: number, patch: RunPatch = {}, queuedAt = T0): Promise<Run> {
  const run = await store.runs.insert(newRun(taskId, { queuedAt }))
  const updated = await store.runs.update(run.id, patch)
  assert.ok(updated)
  return updated
}

/** A finished run that started at `startedAt` and took `durationMs`. */
/** The fields of a run that the brief reads return (issue 10), from the whole run. */
function brief(run: Run): RunBrief {
  const { id, taskId, status, startedAt, endedAt, exitCode, signal, error, outputTruncated, peakRssBytes, avgRssBytes } = run
  return { id, taskId, status, startedAt, endedAt, exitCode, signal, error, outputTruncated, peakRssBytes, avgRssBytes }
}

function finished(startedAt: number, durationMs: number, status: Run['status'] = 'completed'): RunPatch {
  return { status, startedAt, endedAt: startedAt + durationMs, exitCode: status === 'completed' ? 0 : 1 }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: runs`, { skip: dialect.skip }, () => {
    it('inserts a queued run and returns it whole', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask())
      const input = newRun(task.id, { priority: 2, trigger: 'schedule', queuedAt: T0 + 7 })
      const run = await store.runs.insert(input)
      assert.deepEqual(run, runFrom(input, 1))
      assert.deepEqual(await store.runs.findById(run.id), run)
      assert.equal(await store.runs.findById(999), undefined)
    })

    it('refuses a run of a task that does not exist', async (t) => {
      const { store } = await openTestStore(t, dialect)
      await assert.rejects(store.runs.insert(newRun(999)))
      assert.equal(await store.runs.countForTask(999), 0)
    })

    it('updates the given fields only and returns the run', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask())
      const run = await store.runs.insert(newRun(task.id))
      const other = await store.runs.insert(newRun(task.id))
      const patch: RunPatch = {
        status: 'abnormal',
        startedAt: T0 + 10,
        endedAt: T0 + 5_010,
        exitCode: null,
        signal: 'SIGKILL',
        pid: 4242,
        workerId: 'node-a:1',
        peakRssBytes: 6_000_000_000,
        avgRssBytes: 3_000_000_000,
        error: 'Process killed: out of memory',
      }
      const expected: Run = { ...run, ...patch } as Run
      assert.deepEqual(await store.runs.update(run.id, patch), expected)
      assert.deepEqual(await store.runs.findById(run.id), expected)
      assert.deepEqual(await store.runs.findById(other.id), other)
      assert.deepEqual(await store.runs.update(run.id, {}), expected)
      assert.equal(await store.runs.update(999, { status: 'failed' }), undefined)
    })

    it('claims queued runs by priority number, then queue time, then id, each once', async (t) => {
      const { store } = await openTestStore(t, dialect)
      // 'allow' (issue 8): the claim starts a second run of a task beside the first only under it.
      const task = await store.tasks.insert(newTask({ concurrency: 'allow' }))
      const insert = (priority: number, queuedAt: number) => store.runs.insert(newRun(task.id, { priority, queuedAt }))
      const low = await insert(8, T0)
      const normalLate = await insert(5, T0 + 20)
      const highLate = await insert(2, T0 + 20)
      const highEarly = await insert(2, T0 + 10)
      const highEarlyTwin = await insert(2, T0 + 10)
      const normalEarly = await insert(5, T0 + 10)
      // Not queued, so never claimed, however urgent.
      await seedRun(store, task.id, { status: 'running', priority: 0, startedAt: T0 })
      await seedRun(store, task.id, { ...finished(T0, 5), priority: 0 })
      await seedRun(store, task.id, { status: 'paused', priority: 0 })

      const claimed: (Run | undefined)[] = []
      for (let i = 0; i < 7; i++) claimed.push(await store.runs.claimNext(`worker-${i}`, T0 + 100 + i))

      const expectedOrder = [highEarly, highEarlyTwin, highLate, normalEarly, normalLate, low]
      assert.deepEqual(claimed, [
        ...expectedOrder.map((run, i) => ({ ...run, status: 'running', workerId: `worker-${i}`, startedAt: T0 + 100 + i })),
        undefined,
      ])
      for (const run of claimed.slice(0, 6)) assert.deepEqual(await store.runs.findById(run?.id ?? -1), run)
    })

    it('gives a queued run its place in claim order, not counting retries that wait out their backoff, and null once not queued', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ concurrency: 'allow' }))
      const now = T0 + 1_000
      const waiting = await store.runs.insert(newRun(task.id, { priority: 2, queuedAt: T0, notBefore: now + 10_000 }))
      const due = await store.runs.insert(newRun(task.id, { priority: 5, queuedAt: T0, notBefore: now }))
      const plain = await store.runs.insert(newRun(task.id, { priority: 5, queuedAt: T0 + 10 }))
      const running = await seedRun(store, task.id, { status: 'running', startedAt: T0 })
      // claimNext would take `due` first, then `plain`: `waiting` is not ahead of them yet.
      assert.deepEqual(await Promise.all([due, plain, waiting, running].map((r) => store.runs.queuePosition(r.id, now))), [1, 2, 1, null])
      // Its time come, it is first (priority 2), ahead of both.
      assert.deepEqual(await Promise.all([waiting, due, plain].map((r) => store.runs.queuePosition(r.id, now + 10_000))), [1, 2, 3])
      assert.deepEqual(await store.runs.claimNext('w', now), { ...due, status: 'running', workerId: 'w', startedAt: now })
      assert.equal(await store.runs.queuePosition(999, now), null)
    })

    it('claims nothing from an empty queue', async (t) => {
      const { store } = await openTestStore(t, dialect)
      assert.equal(await store.runs.claimNext('w', T0), undefined)
    })

    it('hands each run to exactly one of 20 simultaneous claims from two stores', async (t) => {
      const { store, databaseUrl } = await openTestStore(t, dialect)
      const { openStore } = await import('../../src/store/kysely-store.ts')
      const second = await openStore({ databaseUrl })
      t.after(() => second.close())
      const task = await store.tasks.insert(newTask({ concurrency: 'allow' }))
      const runIds: number[] = []
      for (let i = 0; i < 10; i++) runIds.push((await store.runs.insert(newRun(task.id, { queuedAt: T0 + i }))).id)

      const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : second).runs.claimNext(`w${i}`, T0 + 1_000)))
      const won = claims.filter((run) => run !== undefined)
      assert.equal(won.length, 10)
      assert.deepEqual(
        won.map((run) => run.id).sort((a, b) => a - b),
        runIds,
      )
      for (const run of won) {
        const stored = await store.runs.findById(run.id)
        assert.deepEqual(stored, run)
        assert.equal(stored?.status, 'running')
      }
      assert.equal(await store.runs.claimNext('late', T0 + 2_000), undefined)
    })

    it('holds one lock-taking live run per task under 20 simultaneous inserts from two stores, with no row lock taken (issue 8, runs_task_lock)', async (t) => {
      const { store, databaseUrl } = await openTestStore(t, dialect)
      const { openStore } = await import('../../src/store/kysely-store.ts')
      const second = await openStore({ databaseUrl })
      t.after(() => second.close())
      const forbid = await store.tasks.insert(newTask({ name: 'forbid' }))
      const replace = await store.tasks.insert(newTask({ name: 'replace', concurrency: 'replace' }))
      const queue = await store.tasks.insert(newTask({ name: 'queue', concurrency: 'queue' }))
      for (const task of [forbid, replace, queue]) {
        // holdsLock left out: the task's policy decides inside the insert.
        const { holdsLock: _, ...fields } = newRun(task.id)
        const tries = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : second).runs.insert(fields)))
        const won = tries.filter((r) => r.status === 'fulfilled')
        assert.equal(won.length, task.concurrency === 'queue' ? 20 : 1, task.name)
        for (const r of tries) if (r.status === 'rejected') assert.match(String(r.reason), /Task cannot be triggered/)
      }
      // A finished run frees the lock: the next one may be queued.
      const [live] = await store.runs.listActiveForTask(forbid.id)
      await store.runs.update(live!.id, { status: 'completed', endedAt: T0 + 1 })
      const { holdsLock: _, ...fields } = newRun(forbid.id)
      assert.ok(await store.runs.insert(fields))
      // A released run (a replace's old run while it stops) no longer counts.
      const [old] = await store.runs.listActiveForTask(replace.id)
      await store.runs.releaseLock(old!.id)
      assert.ok(await store.runs.insert({ ...newRun(replace.id), holdsLock: true }))
      assert.equal((await store.runs.listActiveForTask(replace.id)).length, 2)
    })

    it("lists a task's runs newest first, up to the limit, and counts them", async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ name: 'a' }))
      const other = await store.tasks.insert(newTask({ name: 'b' }))
      const r1 = await store.runs.insert(newRun(task.id))
      await store.runs.insert(newRun(other.id))
      const r2 = await store.runs.insert(newRun(task.id))
      const r3 = await store.runs.insert(newRun(task.id))
      assert.deepEqual(await store.runs.listForTask(task.id, 10), [r3, r2, r1])
      assert.deepEqual(await store.runs.listForTask(task.id, 2), [r3, r2])
      assert.deepEqual(await store.runs.listForTask(999, 10), [])
      // Issue 10: the same runs, brief.
      assert.deepEqual(await store.runs.listBriefForTask(task.id, 10), [r3, r2, r1].map(brief))
      assert.deepEqual(await store.runs.listBriefForTask(task.id, 2), [r3, r2].map(brief))
      assert.deepEqual(await store.runs.listBriefForTask(999, 10), [])
      assert.equal(await store.runs.countForTask(task.id), 3)
      assert.equal(await store.runs.countForTask(other.id), 1)
    })

    it("finds a task's queued, running or paused run, and nothing once it has finished", async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ name: 'a' }))
      const other = await store.tasks.insert(newTask({ name: 'b' }))
      await seedRun(store, task.id, finished(T0, 10))
      await seedRun(store, task.id, finished(T0, 10, 'cancelled'))
      await store.runs.insert(newRun(other.id))
      assert.equal(await store.runs.findActiveForTask(task.id), undefined)

      const active = await store.runs.insert(newRun(task.id))
      assert.deepEqual(await store.runs.findActiveForTask(task.id), active)
      for (const status of ['running', 'paused'] as const) {
        const updated = await store.runs.update(active.id, { status })
        assert.deepEqual(await store.runs.findActiveForTask(task.id), updated)
      }
      for (const status of ['completed', 'failed', 'cancelled', 'abnormal'] as const) {
        await store.runs.update(active.id, { status })
        assert.equal(await store.runs.findActiveForTask(task.id), undefined)
      }
    })

    it('lists every active run, oldest queued first', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const a = await store.tasks.insert(newTask({ name: 'a' }))
      const b = await store.tasks.insert(newTask({ name: 'b' }))
      const c = await store.tasks.insert(newTask({ name: 'c' }))
      const paused = await seedRun(store, a.id, { status: 'paused', startedAt: T0 + 1 }, T0 - 300)
      const queued = await seedRun(store, b.id, {}, T0 - 100)
      const running = await seedRun(store, c.id, { status: 'running', startedAt: T0 }, T0 - 200)
      const queuedTie = await seedRun(store, a.id, {}, T0 - 100)
      await seedRun(store, b.id, finished(T0, 1), T0 - 900)
      await seedRun(store, c.id, finished(T0, 1, 'abnormal'), T0 - 900)
      assert.deepEqual(await store.runs.listActive(), [paused, running, queued, queuedTie])
    })

    it('counts runs by status, leaving out statuses with none', async (t) => {
      const { store } = await openTestStore(t, dialect)
      assert.deepEqual(await store.runs.countByStatus(), {})
      const task = await store.tasks.insert(newTask())
      await seedRun(store, task.id)
      await seedRun(store, task.id)
      await seedRun(store, task.id, finished(T0, 1))
      await seedRun(store, task.id, finished(T0, 1, 'failed'))
      await seedRun(store, task.id, finished(T0, 1, 'failed'))
      await seedRun(store, task.id, finished(T0, 1, 'failed'))
      assert.deepEqual(await store.runs.countByStatus(), { queued: 2, completed: 1, failed: 3 })
    })

    it('computes duration statistics over runs that started and ended', async (t) => {
      const { store } = await openTestStore(t, dialect)
      assert.deepEqual(await store.runs.durationStats(), { count: 0, avgMs: null, minMs: null, maxMs: null })
      const task = await store.tasks.insert(newTask())
      await seedRun(store, task.id, finished(T0, 1_000))
      await seedRun(store, task.id, finished(T0 + 50, 2_500, 'failed'))
      await seedRun(store, task.id, finished(T0 + 90, 7_000, 'abnormal'))
      await seedRun(store, task.id, finished(T0 + 95, 1, 'cancelled'))
      await seedRun(store, task.id, { status: 'running', startedAt: T0 })
      await seedRun(store, task.id, { status: 'abnormal', endedAt: T0, error: 'never started' })
      await seedRun(store, task.id)
      assert.deepEqual(await store.runs.durationStats(), { count: 4, avgMs: 2_625.25, minMs: 1, maxMs: 7_000 })
    })

    it('counts runs per time range in one call, ranges half-open, optionally by status', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask())
      await seedRun(store, task.id, finished(T0, 100)) //                     ends T0+100
      await seedRun(store, task.id, finished(T0 + 999, 1, 'failed')) //       ends T0+1000
      await seedRun(store, task.id, finished(T0 + 1_000, 500)) //             ends T0+1500
      await seedRun(store, task.id, finished(T0 + 2_500, 5_000, 'failed')) // ends T0+7500
      await seedRun(store, task.id, { status: 'running', startedAt: T0 + 1_500 })
      await seedRun(store, task.id, {})
      const ranges = [
        { from: T0, to: T0 + 1_000 },
        { from: T0 + 1_000, to: T0 + 2_000 },
        { from: T0 + 2_000, to: T0 + 3_000 },
        { from: T0 + 3_000, to: T0 + 4_000 },
        { from: T0 - 1_000, to: T0 + 10_000 },
      ]
      assert.deepEqual(await store.runs.countInRanges('startedAt', ranges), [2, 2, 1, 0, 5])
      assert.deepEqual(await store.runs.countInRanges('startedAt', ranges, ['completed', 'failed']), [2, 1, 1, 0, 4])
      assert.deepEqual(await store.runs.countInRanges('startedAt', ranges, ['failed']), [1, 0, 1, 0, 2])
      assert.deepEqual(await store.runs.countInRanges('endedAt', ranges), [1, 2, 0, 0, 4])
      assert.deepEqual(await store.runs.countInRanges('endedAt', ranges, ['completed']), [1, 1, 0, 0, 2])
      assert.deepEqual(await store.runs.countInRanges('endedAt', ranges, []), [0, 0, 0, 0, 0])
      assert.deepEqual(await store.runs.countInRanges('startedAt', []), [])
      assert.deepEqual(await store.runs.countInRanges('startedAt', [{ from: T0 + 5, to: T0 + 5 }]), [0])
    })

    it('lists history since a time, newest start first, with task names', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const alpha = await store.tasks.insert(newTask({ name: 'alpha' }))
      const beta = await store.tasks.insert(newTask({ name: 'beta' }))
      await seedRun(store, alpha.id, finished(T0 - 1, 10))
      const a1 = await seedRun(store, alpha.id, finished(T0, 10))
      const b1 = await seedRun(store, beta.id, finished(T0 + 20, 10, 'failed'))
      const a2 = await seedRun(store, alpha.id, { status: 'running', startedAt: T0 + 30 })
      const b2 = await seedRun(store, beta.id, finished(T0 + 20, 10))
      await seedRun(store, beta.id, {})
      const history = await store.runs.listHistory(T0, 10)
      assert.deepEqual(history, [
        { ...brief(a2), taskName: 'alpha' },
        { ...brief(b2), taskName: 'beta' },
        { ...brief(b1), taskName: 'beta' },
        { ...brief(a1), taskName: 'alpha' },
      ])
      assert.deepEqual(await store.runs.listHistory(T0, 2), history.slice(0, 2))
      assert.deepEqual(await store.runs.listHistory(T0 + 31, 10), [])
    })
  })
}
