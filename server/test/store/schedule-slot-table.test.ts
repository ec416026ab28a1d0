/** schedule_slots (migration 010) on both dialects: its key holds, also between concurrent transactions. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ScheduleSlot } from '../../src/domain/schedule-slot.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newTask, openTestStore, T0 } from './store-fixtures.ts'

const slot = (taskId: number, slotAt: number, over: Partial<ScheduleSlot> = {}): ScheduleSlot => ({
  taskId,
  slotAt,
  outcome: 'fired',
  reason: null,
  runId: null,
  recordedAt: slotAt,
  ...over,
})

for (const dialect of testDialects()) {
  describe(`${dialect.name}: schedule slots`, { skip: dialect.skip }, () => {
    it('records a (task, time) once: a second record of it is left out, never an error, and the first stays as it was', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ cronExpression: '* * * * *', nextRunAt: T0 }))
      assert.deepEqual(await store.scheduleSlots.record([slot(task.id, T0), slot(task.id, T0 + 1000, { outcome: 'skipped', reason: 'coalesced' })]), [
        slot(task.id, T0),
        slot(task.id, T0 + 1000, { outcome: 'skipped', reason: 'coalesced' }),
      ])
      // Inside a transaction on PostgreSQL too: the conflict does not abort it.
      const again = await store.transaction(async (tx) => {
        const recorded = await tx.scheduleSlots.record([slot(task.id, T0, { outcome: 'skipped', reason: 'run_active' }), slot(task.id, T0 + 2000)])
        await tx.tasks.update(task.id, { nextRunAt: T0 + 3000 })
        return recorded
      })
      assert.deepEqual(again, [slot(task.id, T0 + 2000)])
      await store.scheduleSlots.setRun(task.id, T0, 42)
      assert.deepEqual(
        (await store.scheduleSlots.listForTask(task.id, 10)).map((s) => [s.slotAt - T0, s.outcome, s.reason, s.runId]),
        [
          [2000, 'fired', null, null],
          [1000, 'skipped', 'coalesced', null],
          [0, 'fired', null, 42],
        ],
      )
      assert.equal((await store.tasks.findById(task.id))?.nextRunAt, T0 + 3000)
    })

    it('of concurrent transactions recording the same time, exactly one gets it', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ cronExpression: '* * * * *', nextRunAt: T0 }))
      const results = await Promise.all(Array.from({ length: 8 }, () => store.transaction((tx) => tx.scheduleSlots.record([slot(task.id, T0)]))))
      assert.equal(results.filter((r) => r.length === 1).length, 1)
      assert.equal((await store.scheduleSlots.listForTask(task.id, 10)).length, 1)
    })

    it('trim keeps each visited task its newest slots, visits tasks in id order from the cursor, and says where it stopped', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const busy = await store.tasks.insert(newTask({ name: 'busy', cronExpression: '* * * * * *', nextRunAt: T0 }))
      const quiet = await store.tasks.insert(newTask({ name: 'quiet', cronExpression: '* * * * *', nextRunAt: T0 }))
      const later = await store.tasks.insert(newTask({ name: 'later', cronExpression: '* * * * * *', nextRunAt: T0 }))
      await store.scheduleSlots.record(Array.from({ length: 25 }, (_, i) => slot(busy.id, T0 + i * 1000)))
      await store.scheduleSlots.record(Array.from({ length: 3 }, (_, i) => slot(quiet.id, T0 + i * 60_000)))
      await store.scheduleSlots.record(Array.from({ length: 12 }, (_, i) => slot(later.id, T0 + i * 1000)))

      assert.deepEqual(await store.scheduleSlots.trim(0, 2, 10), { lastTaskId: quiet.id, deleted: 15 })
      assert.deepEqual(
        (await store.scheduleSlots.listForTask(busy.id, 100)).map((s) => (s.slotAt - T0) / 1000),
        [24, 23, 22, 21, 20, 19, 18, 17, 16, 15],
      )
      assert.equal((await store.scheduleSlots.listForTask(quiet.id, 100)).length, 3)
      // Not visited yet: beyond the pass's two tasks.
      assert.equal((await store.scheduleSlots.listForTask(later.id, 100)).length, 12)
      assert.deepEqual(await store.scheduleSlots.trim(quiet.id, 2, 10), { lastTaskId: later.id, deleted: 2 })
      assert.deepEqual(
        (await store.scheduleSlots.listForTask(later.id, 100)).map((s) => (s.slotAt - T0) / 1000),
        [11, 10, 9, 8, 7, 6, 5, 4, 3, 2],
      )
      assert.deepEqual(await store.scheduleSlots.trim(later.id, 2, 10), { lastTaskId: null, deleted: 0 })
      // The newest time is kept, so its key still refuses a second record of it.
      assert.deepEqual(await store.scheduleSlots.record([slot(busy.id, T0 + 24_000)]), [])
    })

    it('goes with its task', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ cronExpression: '* * * * *', nextRunAt: T0 }))
      await store.scheduleSlots.record([slot(task.id, T0)])
      await store.tasks.delete(task.id)
      assert.deepEqual(await store.scheduleSlots.listForTask(task.id, 10), [])
    })
  })
}
