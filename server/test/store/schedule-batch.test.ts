/**
 * The store methods the scheduler fires a batch of due tasks with (a few statements per batch, not
 * per task): tasks.lockByIds and recordSchedules, runs.insertMany and listActiveForTasks,
 * scheduleSlots.setRuns. Both dialects.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { testDialects } from '../helpers/test-dialects.ts'
import { newRun, newTask, openTestStore, runFrom, T0 } from './store-fixtures.ts'

for (const dialect of testDialects()) {
  describe(`${dialect.name}: the scheduler's batch methods`, { skip: dialect.skip }, () => {
    it('lockByIds returns the tasks that exist, by id ascending, and holds them: a second locker of an overlapping set waits for the commit', async (t) => {
      const { store, databaseUrl } = await openTestStore(t, dialect)
      const tasks = []
      for (const name of ['a', 'b', 'c']) tasks.push(await store.tasks.insert(newTask({ name })))
      const [a, b, c] = tasks as [(typeof tasks)[0], (typeof tasks)[0], (typeof tasks)[0]]
      assert.deepEqual(await store.tasks.lockByIds([]), [])
      assert.deepEqual(
        (await store.tasks.lockByIds([c.id, 999, a.id])).map((x) => x.id),
        [a.id, c.id],
      )
      assert.deepEqual(await store.tasks.lockByIds([b.id]), [b])
      const { openStore } = await import('../../src/store/kysely-store.ts')
      const other = dialect.name === 'postgres' ? await openStore({ databaseUrl }) : store
      if (other !== store) t.after(() => other.close())
      const order: string[] = []
      let release!: () => void
      const gate = new Promise<void>((r) => (release = r))
      let locked!: () => void
      const firstHolds = new Promise<void>((r) => (locked = r))
      const first = store.transaction(async (tx) => {
        await tx.tasks.lockByIds([a.id, b.id])
        locked()
        await gate
        await tx.tasks.update(b.id, { priority: 1 })
        order.push('first commits')
      })
      await firstHolds
      const second = other.transaction(async (tx) => {
        const seen = await tx.tasks.lockByIds([b.id, c.id])
        order.push('second locked')
        return seen.map((x) => [x.id, x.priority])
      })
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
      order.push('released')
      release()
      await first
      assert.deepEqual(await second, [
        [b.id, 1],
        [c.id, 5],
      ])
      assert.deepEqual(order, ['released', 'first commits', 'second locked'])
    })

    it('recordSchedules sets each next time; a fired task becomes running, counts one more run and keeps its time; one not fired keeps the rest', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const fired = await store.tasks.insert(
        newTask({ name: 'fired', cronExpression: '* * * * *', nextRunAt: T0, scheduleRuns: 4, lastScheduledAt: T0 - 60_000 }),
      )
      const moved = await store.tasks.insert(
        newTask({ name: 'moved', cronExpression: '* * * * *', nextRunAt: T0, status: 'running', scheduleRuns: 2, lastScheduledAt: T0 - 120_000 }),
      )
      const oneOff = await store.tasks.insert(newTask({ name: 'one-off', delaySeconds: 5, nextRunAt: T0 }))
      const untouched = await store.tasks.insert(newTask({ name: 'untouched', cronExpression: '* * * * *', nextRunAt: T0 }))
      await store.tasks.recordSchedules([])
      await store.transaction((tx) =>
        tx.tasks.recordSchedules([
          { id: fired.id, nextRunAt: T0 + 60_000, fired: T0 },
          { id: moved.id, nextRunAt: T0 + 60_000, fired: null },
          { id: oneOff.id, nextRunAt: null, fired: T0 },
        ]),
      )
      assert.deepEqual(await store.tasks.findById(fired.id), { ...fired, status: 'running', nextRunAt: T0 + 60_000, scheduleRuns: 5, lastScheduledAt: T0 })
      assert.deepEqual(await store.tasks.findById(moved.id), { ...moved, nextRunAt: T0 + 60_000 })
      assert.deepEqual(await store.tasks.findById(oneOff.id), { ...oneOff, status: 'running', nextRunAt: null, scheduleRuns: 1, lastScheduledAt: T0 })
      assert.deepEqual(await store.tasks.findById(untouched.id), untouched)
    })

    it('insertMany queues the runs in the order given, each taking its lock as told; a run refused by runs_task_lock refuses them all', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const a = await store.tasks.insert(newTask({ name: 'a' }))
      const b = await store.tasks.insert(newTask({ name: 'b', concurrency: 'queue' }))
      assert.deepEqual(await store.runs.insertMany([]), [])
      const inputs = [
        { ...newRun(b.id, { trigger: 'schedule', queuedAt: T0 + 1 }), holdsLock: false },
        { ...newRun(a.id, { trigger: 'schedule', priority: 2 }), holdsLock: true },
        { ...newRun(b.id, { queuedAt: T0 + 2 }), holdsLock: false },
      ]
      const runs = await store.runs.insertMany(inputs)
      assert.deepEqual(
        runs,
        inputs.map((input, i) => runFrom(input, i + 1)),
      )
      // a's run holds the lock: a batch with a second lock-taking run of a is refused whole.
      await assert.rejects(
        store.transaction((tx) =>
          tx.runs.insertMany([
            { ...newRun(b.id), holdsLock: false },
            { ...newRun(a.id), holdsLock: true },
          ]),
        ),
        /Task cannot be triggered/,
      )
      assert.equal((await store.runs.listActiveForTask(b.id)).length, 2, 'nothing of the refused batch was kept')
    })

    it('listActiveForTasks gives each asked task with live runs its queued, running and paused runs, oldest first', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const a = await store.tasks.insert(newTask({ name: 'a', concurrency: 'allow' }))
      const b = await store.tasks.insert(newTask({ name: 'b' }))
      const c = await store.tasks.insert(newTask({ name: 'c' }))
      const idle = await store.tasks.insert(newTask({ name: 'idle' }))
      const a1 = await store.runs.insert(newRun(a.id))
      const a2 = await store.runs.insert(newRun(a.id))
      const a3 = await store.runs.insert(newRun(a.id))
      const done = await store.runs.insert(newRun(b.id))
      const b2 = await store.runs.insert(newRun(b.id))
      const c1 = await store.runs.insert(newRun(c.id))
      await store.runs.update(a2.id, { status: 'running', startedAt: T0 })
      await store.runs.update(a3.id, { status: 'paused', startedAt: T0 })
      await store.runs.update(done.id, { status: 'completed', startedAt: T0, endedAt: T0 + 1 })
      assert.deepEqual((await store.runs.listActiveForTasks([])).size, 0)
      const live = await store.runs.listActiveForTasks([idle.id, b.id, a.id, 999])
      assert.deepEqual(
        [...live.entries()].sort(([x], [y]) => x - y).map(([taskId, runs]) => [taskId, runs.map((r) => r.id)]),
        [
          [a.id, [a1.id, a2.id, a3.id]],
          [b.id, [b2.id]],
        ],
      )
      assert.deepEqual(live.get(a.id), await store.runs.listActiveForTask(a.id))
      assert.equal(live.has(c.id), false, `${c1.id} is not asked for`)
    })

    it('setRuns links each slot to its run and leaves other slots as they were', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const a = await store.tasks.insert(newTask({ name: 'a', cronExpression: '* * * * *', nextRunAt: T0 }))
      const b = await store.tasks.insert(newTask({ name: 'b', cronExpression: '* * * * *', nextRunAt: T0 }))
      const slot = (taskId: number, slotAt: number) => ({ taskId, slotAt, outcome: 'fired' as const, reason: null, runId: null, recordedAt: T0 })
      await store.scheduleSlots.record([slot(a.id, T0), slot(a.id, T0 + 60_000), slot(b.id, T0)])
      await store.scheduleSlots.setRuns([])
      await store.transaction((tx) =>
        tx.scheduleSlots.setRuns([
          { taskId: a.id, slotAt: T0 + 60_000, runId: 7 },
          { taskId: b.id, slotAt: T0, runId: 8 },
        ]),
      )
      assert.deepEqual(
        (await store.scheduleSlots.listForTask(a.id, 10)).map((s) => [s.slotAt - T0, s.runId]),
        [
          [60_000, 7],
          [0, null],
        ],
      )
      assert.deepEqual(
        (await store.scheduleSlots.listForTask(b.id, 10)).map((s) => s.runId),
        [8],
      )
    })
  })
}
