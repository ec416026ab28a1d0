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

    it('goes with its task', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ cronExpression: '* * * * *', nextRunAt: T0 }))
      await store.scheduleSlots.record([slot(task.id, T0)])
      await store.tasks.delete(task.id)
      assert.deepEqual(await store.scheduleSlots.listForTask(task.id, 10), [])
    })
  })
}
