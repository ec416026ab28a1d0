import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { RunController } from '../../src/scheduler/dispatcher.ts'
import { createScheduler, type Timers } from '../../src/scheduler/scheduler.ts'
import type { Store } from '../../src/store/store.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newTask, openTestStore, T0 } from '../store/store-fixtures.ts'

/** Timers that fire only when the test moves the clock past them. */
function fakeTimers(clock: { t: number }) {
  let nextId = 1
  const pending = new Map<number, { at: number; fn: () => void }>()
  const timers: Timers = {
    setTimeout(fn, ms) {
      const id = nextId++
      pending.set(id, { at: clock.t + ms, fn })
      return id
    },
    clearTimeout: (id) => void pending.delete(id as number),
  }
  return {
    timers,
    pendingCount: () => pending.size,
    /** Moves the clock to the earliest timer and fires it; false when none is armed. */
    fireNext(): boolean {
      const [id, next] = [...pending.entries()].sort((a, b) => a[1].at - b[1].at)[0] ?? []
      if (id === undefined || !next) return false
      pending.delete(id)
      clock.t = Math.max(clock.t, next.at)
      next.fn()
      return true
    },
  }
}

/** The run controller is the dispatcher's seam: here it only records that it was woken. */
function recordingRuns(): RunController & { wakes: number; woken: Promise<void> } {
  let resolve!: () => void
  const runs = {
    wakes: 0,
    woken: new Promise<void>((r) => (resolve = r)),
    wake() {
      runs.wakes += 1
      resolve()
    },
    pause: () => false,
    resume: () => false,
    stop: async () => undefined,
    writeInput: () => false,
    isSupervising: () => false,
    shutdown: async () => undefined,
  }
  return runs
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
        const runs = recordingRuns()
        let settled!: () => void
        let onErrorSeen = new Promise<void>((r) => (settled = r))
        const scheduler = createScheduler({
          store: flaky,
          clock: { now: () => clock.t },
          runs,
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
