/**
 * Issue 8's time semantics, on a real store (both dialects) with a fake clock and fake timers:
 * time zones and daylight saving, long delays, misfire after downtime, and the unique key that
 * lets a scheduled time produce one run at most. Nothing here waits for real time.
 */
import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { createScheduler, MAX_SLEEP_MS, clampTimerDelay, MAX_TIMER_MS } from '../../src/scheduler/scheduler.ts'
import { openStore } from '../../src/store/kysely-store.ts'
import type { Store } from '../../src/store/store.ts'
import { fakeClock, fakeTimers, type FakeClock } from '../helpers/fake-timers.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newTask, openTestStore } from '../store/store-fixtures.ts'

const MINUTE = 60_000
const at = (iso: string): number => Date.parse(iso)

/** A scheduler on `store`; `tick()` fires its next timer and resolves once it armed the one after. */
function schedulerOn(t: TestContext, store: Store, clock: FakeClock, timeZone = 'UTC') {
  const fake = fakeTimers(clock)
  const errors: unknown[] = []
  const scheduler = createScheduler({
    store,
    clock,
    runControl: { wake: () => undefined },
    timeZone,
    timers: fake.timers,
    onTaskChanged: () => undefined,
    onError: (e) => void errors.push(e),
  })
  t.after(() => scheduler.stop())
  return {
    fake,
    errors,
    start(): Promise<number> {
      const armed = fake.nextArm()
      scheduler.wake()
      return armed
    },
    tick(): Promise<number> {
      const armed = fake.nextArm()
      assert.ok(fake.fireNext(), 'a timer is armed')
      return armed
    },
    /** What a run's end does: the loop looks again now. */
    wake(): Promise<number> {
      const armed = fake.nextArm()
      scheduler.wake()
      return armed
    },
  }
}

/** The run a fire queued ends at once, and its cron task is 'scheduled' again (as closeRun leaves it). */
async function finishRuns(store: Store, taskId: number, now: number): Promise<void> {
  const active = await store.runs.findActiveForTask(taskId)
  if (!active) return
  await store.runs.update(active.id, { status: 'completed', startedAt: now, endedAt: now })
  await store.tasks.update(taskId, { status: 'scheduled' })
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: schedule time semantics on a fake clock`, { skip: dialect.skip }, () => {
    it('*/15 in Europe/Berlin keeps real 15-minute spacing through the repeated hour (2024-10-27), each time once', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const first = at('2024-10-26T23:45:00Z') // 01:45 CEST
      const task = await store.tasks.insert(newTask({ cronExpression: '*/15 * * * *', timeZone: 'Europe/Berlin', nextRunAt: first }))
      const clock = fakeClock(first - 1)
      const s = schedulerOn(t, store, clock)
      await s.start()
      while (clock.t < at('2024-10-27T02:30:00Z')) {
        await s.tick()
        await finishRuns(store, task.id, clock.t)
      }
      const runs = (await store.runs.listForTask(task.id, 100)).reverse()
      const times = runs.map((r) => r.queuedAt)
      // 01:45 CEST … 02:45 CEST, then 02:00 CET … 03:15 CET: eleven times, 15 real minutes apart.
      assert.equal(times[0], first)
      assert.equal(times.length, 12)
      for (let i = 1; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, 15 * MINUTE, `gap before run ${i}`)
      const slots = await store.scheduleSlots.listForTask(task.id, 100)
      assert.deepEqual(
        slots.map((sl) => [sl.outcome, sl.reason]),
        times.map(() => ['fired', null]),
      )
      assert.deepEqual(
        slots.map((sl) => sl.runId).reverse(),
        runs.map((r) => r.id),
        'each fired time names its run',
      )
      assert.deepEqual(s.errors, [])
    })

    it('spring forward in the task zone: a daily 02:30 that does not exist runs once, at 03:00 CEST, then at 02:30 the next day', async (t) => {
      const { store } = await openTestStore(t, dialect)
      // 2024-03-31 in Berlin jumps from 02:00 CET to 03:00 CEST; the server itself is in UTC.
      const task = await store.tasks.insert(newTask({ cronExpression: '30 2 * * *', timeZone: 'Europe/Berlin', nextRunAt: at('2024-03-30T01:30:00Z') }))
      const clock = fakeClock(at('2024-03-30T01:29:59Z'))
      const s = schedulerOn(t, store, clock)
      await s.start()
      // From fire to fire, the clock jumps to a millisecond before the task's next time (a whole
      // day of minute ticks would only repeat the test above).
      while (clock.t < at('2024-04-01T00:30:00Z')) {
        await s.tick()
        await finishRuns(store, task.id, clock.t)
        clock.t = (await store.tasks.findById(task.id))!.nextRunAt! - 1
        await s.wake()
      }
      const times = (await store.runs.listForTask(task.id, 100)).map((r) => r.queuedAt).reverse()
      assert.deepEqual(times, [at('2024-03-30T01:30:00Z'), at('2024-03-31T01:00:00Z'), at('2024-04-01T00:30:00Z')])
    })

    it('a delay of 30 days (longer than a timer can hold, 24.8 days) does not fire early: the loop re-arms at most a minute ahead', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const start = at('2024-01-15T12:00:00Z')
      const due = start + 30 * 24 * 60 * MINUTE
      const task = await store.tasks.insert(newTask({ delaySeconds: 30 * 24 * 3600, nextRunAt: due }))
      const clock = fakeClock(start)
      const s = schedulerOn(t, store, clock)
      assert.equal(await s.start(), start + MAX_SLEEP_MS, 'armed for a minute, not for 30 days')
      // Real time passes without ticks in between (the machine slept): the next tick is still early.
      clock.t = due - 1
      assert.equal(await s.tick(), due, 'one millisecond before: armed for the time itself')
      assert.equal((await store.runs.listForTask(task.id, 10)).length, 0, 'nothing fired early')
      await s.tick()
      assert.deepEqual(
        (await store.runs.listForTask(task.id, 10)).map((r) => r.queuedAt),
        [due],
      )
      // The real timers clamp what Node would fire after 1 ms.
      assert.equal(clampTimerDelay(30 * 24 * 3600 * 1000), MAX_TIMER_MS)
      assert.equal(clampTimerDelay(-5), 0)
    })

    it('misfire run_once after three hours down: one run for the latest time, every missed time recorded with its reason', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ cronExpression: '0 * * * *', nextRunAt: at('2024-01-15T12:00:00Z') }))
      // The server comes back at 15:20.
      const clock = fakeClock(at('2024-01-15T15:20:00Z'))
      const s = schedulerOn(t, store, clock)
      await s.start()
      const runs = await store.runs.listForTask(task.id, 10)
      assert.deepEqual(
        runs.map((r) => [r.trigger, r.queuedAt]),
        [['schedule', clock.t]],
      )
      const slots = await store.scheduleSlots.listForTask(task.id, 10)
      assert.deepEqual(
        slots.map((sl) => [new Date(sl.slotAt).toISOString(), sl.outcome, sl.reason, sl.runId]),
        [
          ['2024-01-15T15:00:00.000Z', 'fired', 'misfire_run_once', runs[0]!.id],
          ['2024-01-15T14:00:00.000Z', 'skipped', 'coalesced', null],
          ['2024-01-15T13:00:00.000Z', 'skipped', 'coalesced', null],
          ['2024-01-15T12:00:00.000Z', 'skipped', 'coalesced', null],
        ],
      )
      const after = await store.tasks.findById(task.id)
      assert.deepEqual(
        [after?.status, after?.nextRunAt, after?.scheduleRuns, after?.lastScheduledAt],
        ['running', at('2024-01-15T16:00:00Z'), 1, at('2024-01-15T15:00:00Z')],
      )
    })

    it('misfire skip after three hours down: no run, each missed time recorded, the task fires again at its next time', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ cronExpression: '0 * * * *', misfire: 'skip', nextRunAt: at('2024-01-15T12:00:00Z') }))
      const clock = fakeClock(at('2024-01-15T15:20:00Z'))
      const s = schedulerOn(t, store, clock)
      await s.start()
      assert.equal((await store.runs.listForTask(task.id, 10)).length, 0)
      const slots = await store.scheduleSlots.listForTask(task.id, 10)
      assert.deepEqual(
        slots.map((sl) => [new Date(sl.slotAt).toISOString(), sl.outcome, sl.reason]),
        [
          ['2024-01-15T15:00:00.000Z', 'skipped', 'misfire_skip'],
          ['2024-01-15T14:00:00.000Z', 'skipped', 'coalesced'],
          ['2024-01-15T13:00:00.000Z', 'skipped', 'coalesced'],
          ['2024-01-15T12:00:00.000Z', 'skipped', 'coalesced'],
        ],
      )
      assert.deepEqual((await store.tasks.findById(task.id))?.status, 'scheduled')
      while (clock.t < at('2024-01-15T16:00:00Z')) await s.tick()
      assert.deepEqual(
        (await store.runs.listForTask(task.id, 10)).map((r) => r.queuedAt),
        [at('2024-01-15T16:00:00Z')],
      )
    })

    it('a scheduled time recorded before (a crash, another process) never gets a second run; the task moves on', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const slot = at('2024-01-15T12:00:00Z')
      const task = await store.tasks.insert(newTask({ cronExpression: '* * * * *', nextRunAt: slot }))
      // A process fired 12:00 and its run is gone; then next_run_at was put back on 12:00 (a
      // restored backup, an edit made on a clock that was behind).
      await store.scheduleSlots.record([{ taskId: task.id, slotAt: slot, outcome: 'fired', reason: null, runId: null, recordedAt: slot }])
      const clock = fakeClock(slot + 10)
      const s = schedulerOn(t, store, clock)
      await s.start()
      assert.equal((await store.runs.listForTask(task.id, 10)).length, 0, 'no second run for 12:00')
      const after = await store.tasks.findById(task.id)
      assert.deepEqual([after?.status, after?.nextRunAt, after?.scheduleRuns], ['scheduled', slot + MINUTE, 0])
      await s.tick()
      assert.deepEqual(
        (await store.runs.listForTask(task.id, 10)).map((r) => r.queuedAt),
        [slot + MINUTE],
      )
    })

    it('fires 250 tasks due at the same instant in one tick (batched transactions); a task whose fire fails holds back none before it', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const slotAt = at('2024-01-15T12:00:00Z')
      const tasks = []
      for (let i = 0; i < 250; i++) tasks.push(await store.tasks.insert(newTask({ name: `t${i}`, cronExpression: '0 12 * * *', nextRunAt: slotAt })))
      const failing = tasks[120]!.id
      let failures = 0
      const flaky: Store = {
        ...store,
        transaction: (fn) =>
          store.transaction((tx) =>
            fn({
              ...tx,
              runs: {
                ...tx.runs,
                insert: async (run) => {
                  if (run.taskId === failing && failures++ < 2) throw new Error('disk full')
                  return tx.runs.insert(run)
                },
                insertMany: async (runs) => {
                  if (runs.some((run) => run.taskId === failing) && failures++ < 2) throw new Error('disk full')
                  return tx.runs.insertMany(runs)
                },
              },
            }),
          ),
      }
      const clock = fakeClock(slotAt)
      const s = schedulerOn(t, flaky, clock)
      await s.start()
      const counts = await Promise.all(tasks.map(async (task) => (await store.runs.listForTask(task.id, 10)).length))
      // The batch with the failing task was rolled back and went again task by task, up to it;
      // the failed tick re-arms for a retry, which fires the rest.
      assert.deepEqual(counts.slice(0, 120), Array(120).fill(1), 'the tasks before the failing one have their run')
      assert.equal(counts[120], 0)
      assert.equal(s.errors.length, 1)
      await s.tick()
      const after = await Promise.all(tasks.map(async (task) => (await store.runs.listForTask(task.id, 10)).map((r) => r.queuedAt)))
      assert.deepEqual(after.slice(0, 120), Array(120).fill([slotAt]), 'no task fired twice')
      assert.deepEqual(after.slice(121).flat().length, 129)
      assert.equal(after[120]!.length, 1, 'the failing task fired on the retry')
    })

    it('one batch holds every policy: forbid with a live run records run_active, queue and allow queue beside it, replace takes the lock from the old run; each fired time linked to its run', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const slotAt = at('2024-01-15T12:00:00Z')
      const policies = ['forbid', 'queue', 'allow', 'replace'] as const
      const busy = []
      for (const concurrency of policies) {
        const task = await store.tasks.insert(
          newTask({ name: `busy-${concurrency}`, cronExpression: '0 12 * * *', nextRunAt: slotAt, concurrency, status: 'running' }),
        )
        const old = await store.runs.insert({
          taskId: task.id,
          priority: 5,
          trigger: 'manual',
          queuedAt: slotAt - MINUTE,
          holdsLock: concurrency === 'forbid' || concurrency === 'replace',
        })
        await store.runs.update(old.id, { status: 'running', startedAt: slotAt - MINUTE })
        busy.push({ task, old })
      }
      const idle = await store.tasks.insert(newTask({ name: 'idle', cronExpression: '0 12 * * *', nextRunAt: slotAt }))
      const s = schedulerOn(t, store, fakeClock(slotAt))
      await s.start()
      assert.deepEqual(s.errors, [])
      const next = slotAt + 24 * 60 * MINUTE
      for (const { task, old } of busy) {
        const live = await store.runs.listActiveForTask(task.id)
        const after = await store.tasks.findById(task.id)
        const slots = await store.scheduleSlots.listForTask(task.id, 10)
        assert.equal(after?.nextRunAt, next, task.name)
        if (task.concurrency === 'forbid') {
          assert.deepEqual(
            live.map((r) => r.id),
            [old.id],
          )
          assert.deepEqual(
            slots.map((x) => [x.slotAt, x.outcome, x.reason, x.runId]),
            [[slotAt, 'skipped', 'run_active', null]],
          )
          assert.equal(after?.scheduleRuns, 0)
          continue
        }
        assert.equal(live.length, 2, task.name)
        const fresh = live[1]!
        assert.deepEqual([fresh.trigger, fresh.status, fresh.queuedAt], ['schedule', 'queued', slotAt])
        assert.deepEqual(
          slots.map((x) => [x.slotAt, x.outcome, x.runId]),
          [[slotAt, 'fired', fresh.id]],
        )
        assert.deepEqual([after?.status, after?.scheduleRuns, after?.lastScheduledAt], ['running', 1, slotAt])
        if (task.concurrency === 'replace') assert.equal((await store.runs.findById(old.id))?.stopReason, `Replaced by run ${fresh.id}`)
        else assert.equal((await store.runs.findById(old.id))?.stopReason, null)
      }
      const [run] = await store.runs.listForTask(idle.id, 10)
      assert.deepEqual(
        (await store.scheduleSlots.listForTask(idle.id, 10)).map((x) => x.runId),
        [run!.id],
      )
      // replace's new run holds the task's lock: a second lock-taking run is refused by the database.
      const replace = busy[3]!.task
      await assert.rejects(
        store.runs.insert({ taskId: replace.id, priority: 5, trigger: 'manual', queuedAt: slotAt, holdsLock: true }),
        /Task cannot be triggered/,
      )
    })

    it('two schedulers on one database, firing at the same instants: each scheduled time gives exactly one run', async (t) => {
      const opened = await openTestStore(t, dialect)
      const other = await openStore({ databaseUrl: opened.databaseUrl })
      t.after(() => other.close())
      const m0 = at('2024-01-15T12:00:00Z')
      const tasks = await Promise.all(
        ['a', 'b', 'c'].map((name) => opened.store.tasks.insert(newTask({ name, cronExpression: '* * * * * *', nextRunAt: m0 + 1000 }))),
      )
      const clock = fakeClock(m0)
      const one = schedulerOn(t, opened.store, clock)
      const two = schedulerOn(t, other, clock)
      await Promise.all([one.start(), two.start()])
      for (let second = 1; second <= 5; second++) {
        clock.t = m0 + second * 1000
        // Both fire in the same turn: their transactions race on the same rows.
        await Promise.all([one.tick(), two.tick()])
        for (const task of tasks) await finishRuns(opened.store, task.id, clock.t)
        await Promise.all([one.wake(), two.wake()])
      }
      for (const task of tasks) {
        const runs = await opened.store.runs.listForTask(task.id, 100)
        assert.deepEqual(
          runs.map((r) => r.queuedAt).reverse(),
          [1, 2, 3, 4, 5].map((sec) => m0 + sec * 1000),
          `${task.name}: one run per second`,
        )
        const slots = await opened.store.scheduleSlots.listForTask(task.id, 100)
        assert.equal(slots.filter((sl) => sl.outcome === 'fired').length, 5)
        assert.equal((await opened.store.tasks.findById(task.id))?.scheduleRuns, 5)
      }
      assert.deepEqual([...one.errors, ...two.errors], [])
    })
  })
}
