import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { createScheduler } from '../../src/scheduler/scheduler.ts'
import type { RunControl } from '../../src/services/run-control.ts'
import type { Store } from '../../src/store/store.ts'
import { fakeClock, fakeTimers } from '../helpers/fake-timers.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newRun, newTask, openTestStore, T0 } from '../store/store-fixtures.ts'

/** The worker's seam: here it only records that it was woken. */
function recordingWorker(): Pick<RunControl, 'wake'> & { wakes: number; woken: Promise<void> } {
  let resolve!: () => void
  const worker = {
    wakes: 0,
    woken: new Promise<void>((r) => (resolve = r)),
    wake() {
      worker.wakes += 1
      resolve()
    },
  }
  return worker
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: scheduler after a failed tick`, { skip: dialect.skip }, () => {
    for (const failing of ['listDue', 'nextDueAt'] as const) {
      it(`re-arms when ${failing} throws (e.g. the database busy), and the cron task still fires`, async (t) => {
        const { store } = await openTestStore(t, dialect)
        const clock = { t: T0 }
        const fake = fakeTimers(clock)
        const task = await store.tasks.insert(newTask({ cronExpression: '* * * * *', nextRunAt: T0 + 60_000 }))
        let failures = 0
        const flaky: Store = {
          ...store,
          tasks: {
            ...store.tasks,
            [failing]: async (...args: never[]) => {
              if (failures === 0) {
                failures += 1
                throw new Error('database is locked')
              }
              return (store.tasks[failing] as (...a: never[]) => Promise<unknown>)(...args)
            },
          },
        }
        const errors: string[] = []
        const runs = recordingWorker()
        let settled!: () => void
        let onErrorSeen = new Promise<void>((r) => (settled = r))
        const scheduler = createScheduler({
          store: flaky,
          clock: { now: () => clock.t },
          runControl: runs,
          timeZone: 'UTC',
          timers: fake.timers,
          onTaskChanged: () => undefined,
          onError: (e, context) => {
            errors.push(`${context}: ${(e as Error).message}`)
            settled()
          },
        })
        t.after(() => scheduler.stop())
        scheduler.wake()
        await onErrorSeen
        assert.deepEqual(errors, ['scheduler: database is locked'])
        assert.equal(fake.pendingCount(), 1, 'a retry timer is armed')

        // Fire timers (moving the clock) until the cron time has passed and a run was queued.
        while ((await store.runs.listForTask(task.id, 10)).length === 0) {
          assert.ok(clock.t <= T0 + 120_000, 'the cron task fired within its minute')
          onErrorSeen = new Promise<void>((r) => (settled = r))
          assert.ok(fake.fireNext(), 'a timer is always armed')
          // The tick is asynchronous: let it reach the database and arm its next timer.
          await new Promise<void>((resolve) => {
            const poll = (): void => (fake.pendingCount() > 0 ? resolve() : void setImmediate(poll))
            poll()
          })
        }
        const [run] = await store.runs.listForTask(task.id, 10)
        assert.equal(run?.trigger, 'schedule')
        assert.equal(run?.queuedAt, T0 + 60_000)
        assert.equal(runs.wakes, 1)
        assert.deepEqual(errors, ['scheduler: database is locked'], 'one failure, then normal ticks')
      })
    }
  })
}

/** 2024-01-15 12:00:00 UTC, on a minute (T0 is not): cron slots fall on round numbers. */
const M0 = Date.UTC(2024, 0, 15, 12, 0, 0)
const MINUTE = 60_000

/** A scheduler on a real store with a fake clock and timers; `tick()` fires the next timer and resolves once the loop armed its next one. */
function fakeTimeScheduler(t: TestContext, store: Store, startAt: number) {
  const clock = fakeClock(startAt)
  const fake = fakeTimers(clock)
  const worker = recordingWorker()
  const errors: unknown[] = []
  const scheduler = createScheduler({
    store,
    clock,
    runControl: worker,
    timeZone: 'UTC',
    timers: fake.timers,
    onTaskChanged: () => undefined,
    onError: (e) => void errors.push(e),
  })
  t.after(() => scheduler.stop())
  return {
    clock,
    fake,
    worker,
    errors,
    scheduler,
    /** The first tick (wake), resolved once its timer is armed; the due time of that timer. */
    start(): Promise<number> {
      const armed = fake.nextArm()
      scheduler.wake()
      return armed
    },
    /** Moves the clock to the armed timer and runs that tick; the due time of the timer it armed next. */
    tick(): Promise<number> {
      const armed = fake.nextArm()
      assert.ok(fake.fireNext(), 'a timer is armed')
      return armed
    },
  }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: scheduler on a fake clock`, { skip: dialect.skip }, () => {
    it('fires a cron task when the clock reaches its time, once, and arms the timer for its next slot', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ cronExpression: '* * * * *', nextRunAt: M0 + MINUTE }))
      const s = fakeTimeScheduler(t, store, M0)
      assert.equal(await s.start(), M0 + MINUTE, 'armed for the task’s time')
      assert.equal((await store.runs.listForTask(task.id, 10)).length, 0, 'nothing fires before its time')

      assert.equal(await s.tick(), M0 + 2 * MINUTE, 'armed for the next slot')
      const runs = await store.runs.listForTask(task.id, 10)
      assert.deepEqual(
        runs.map((r) => [r.trigger, r.status, r.queuedAt]),
        [['schedule', 'queued', M0 + MINUTE]],
      )
      const after = await store.tasks.findById(task.id)
      assert.deepEqual([after?.status, after?.nextRunAt], ['running', M0 + 2 * MINUTE])
      assert.equal(s.worker.wakes, 1, 'the worker is woken for the queued run')
      assert.deepEqual(s.errors, [])
    })

    it('sleeps at most a minute, and no longer than the earliest next time', async (t) => {
      const { store } = await openTestStore(t, dialect)
      await store.tasks.insert(newTask({ name: 'hourly', cronExpression: '0 * * * *', nextRunAt: M0 + 60 * MINUTE }))
      const s = fakeTimeScheduler(t, store, M0)
      assert.equal(await s.start(), M0 + MINUTE, 'an hour away: looked at again in a minute')
      await store.tasks.insert(newTask({ name: 'soon', delaySeconds: 20, nextRunAt: M0 + MINUTE + 20_000 }))
      assert.equal(await s.tick(), M0 + MINUTE + 20_000, 'the earliest next time wins')
      assert.deepEqual(s.fake.dueTimes(), [M0 + MINUTE + 20_000], 'one timer at a time')
    })

    it('gives a task with a live run no second run, and moves its schedule on', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ cronExpression: '* * * * *', nextRunAt: M0 + MINUTE }))
      const live = await store.runs.insert(newRun(task.id, { queuedAt: M0 }))
      const s = fakeTimeScheduler(t, store, M0)
      await s.start()
      await s.tick()
      assert.deepEqual(
        (await store.runs.listForTask(task.id, 10)).map((r) => r.id),
        [live.id],
      )
      const after = await store.tasks.findById(task.id)
      assert.deepEqual([after?.status, after?.nextRunAt], ['scheduled', M0 + 2 * MINUTE])
      assert.equal(s.worker.wakes, 0, 'nothing was queued')
    })

    it('after the clock is set back, fires nothing early and no slot twice; the task fires once at its time', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ cronExpression: '*/5 * * * *', nextRunAt: M0 + 5 * MINUTE }))
      const s = fakeTimeScheduler(t, store, M0 + 5 * MINUTE)
      await s.start()
      const fired = await store.runs.listForTask(task.id, 10)
      assert.equal(fired.length, 1, 'the 12:05 slot fired')
      // The run ended, and the clock was set back ten minutes (to 11:55).
      await store.runs.update(fired[0]!.id, { status: 'completed', endedAt: M0 + 5 * MINUTE })
      await store.tasks.update(task.id, { status: 'scheduled' })
      s.fake.setClockBy(-10 * MINUTE)
      assert.equal(await s.tick(), M0 - 3 * MINUTE, 'the next slot is 15 minutes away: looked at again in a minute')
      for (let i = 0; i < 13; i++) await s.tick()
      assert.equal(s.clock.t, M0 + 9 * MINUTE)
      assert.equal((await store.runs.listForTask(task.id, 10)).length, 1, 'nothing fired before 12:10, and 12:05 did not fire again')
      await s.tick()
      assert.equal(s.clock.t, M0 + 10 * MINUTE)
      const runs = await store.runs.listForTask(task.id, 10)
      assert.deepEqual(
        runs.map((r) => r.queuedAt),
        [M0 + 10 * MINUTE, M0 + 5 * MINUTE],
      )
    })

    it('a wake while the loop reads the next time is not lost: a task committed meanwhile fires at once', { timeout: 10_000 }, async (t) => {
      const { store } = await openTestStore(t, dialect)
      // nextDueAt answers from before the commit below, as a query that started earlier does.
      let reached!: () => void
      let open!: () => void
      const reading = new Promise<void>((r) => (reached = r))
      const gate = new Promise<void>((r) => (open = r))
      let reads = 0
      const slowRead: Store = {
        ...store,
        tasks: {
          ...store.tasks,
          async nextDueAt() {
            const answer = await store.tasks.nextDueAt()
            if (reads++ === 0) {
              reached()
              await gate
            }
            return answer
          },
        },
      }
      const s = fakeTimeScheduler(t, slowRead, M0)
      const firstArm = s.start()
      await reading
      const task = await store.tasks.insert(newTask({ delaySeconds: 0, nextRunAt: M0 }))
      s.scheduler.wake()
      open()
      assert.equal(await firstArm, M0 + MINUTE, 'armed from the answer read before the commit')
      // Fails here (the test's timeout) when the wake was dropped: the task would wait a minute.
      await s.worker.woken
      const runs = await store.runs.listForTask(task.id, 10)
      assert.deepEqual(
        runs.map((r) => [r.trigger, r.queuedAt]),
        [['schedule', M0]],
      )
      assert.equal(s.clock.t, M0, 'no timer had to fire')
    })

    it('stop disarms the timer, and a wake after it does nothing', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ cronExpression: '* * * * *', nextRunAt: M0 }))
      const s = fakeTimeScheduler(t, store, M0 - MINUTE)
      await s.start()
      s.scheduler.stop()
      assert.equal(s.fake.pendingCount(), 0)
      s.clock.t = M0 + MINUTE
      s.scheduler.wake()
      assert.equal(s.fake.pendingCount(), 0)
      assert.equal((await store.runs.listForTask(task.id, 10)).length, 0)
    })
  })
}
