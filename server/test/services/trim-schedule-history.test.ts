/** The schedule history's retention on both dialects: passes of bounded size that go round every task. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { scheduleHistoryTrimmer, TRIM_TASKS_PER_PASS } from '../../src/services/schedules/trim-schedule-history.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newTask, openTestStore, T0 } from '../store/store-fixtures.ts'

for (const dialect of testDialects()) {
  describe(`${dialect.name}: schedule history retention`, { skip: dialect.skip }, () => {
    it('trims every task to its newest slots over successive passes, then starts again from the first', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const count = TRIM_TASKS_PER_PASS + 5
      const ids: number[] = []
      for (let i = 0; i < count; i++) ids.push((await store.tasks.insert(newTask({ name: `t${i}`, cronExpression: '* * * * * *', nextRunAt: T0 }))).id)
      const first = ids[0]!
      const last = ids.at(-1)!
      const record = (taskId: number, n: number, from = 0) =>
        store.scheduleSlots.record(
          Array.from({ length: n }, (_, i) => ({
            taskId,
            slotAt: T0 + (from + i) * 1000,
            outcome: 'fired' as const,
            reason: null,
            runId: null,
            recordedAt: T0,
          })),
        )
      await record(first, 8)
      await record(last, 8)
      const trim = scheduleHistoryTrimmer(store, 5)
      assert.equal(await trim(), 3, 'the first pass reaches the first task, not the last')
      assert.equal((await store.scheduleSlots.listForTask(last, 100)).length, 8)
      assert.equal(await trim(), 3, 'the second pass reaches the last task')
      assert.equal((await store.scheduleSlots.listForTask(last, 100)).length, 5)
      await record(first, 4, 8)
      assert.equal(await trim(), 0, 'the end of the tasks: the pass after it wraps')
      assert.equal(await trim(), 4, 'back at the first task')
      assert.deepEqual(
        (await store.scheduleSlots.listForTask(first, 100)).map((s) => (s.slotAt - T0) / 1000),
        [11, 10, 9, 8, 7],
      )
    })

    it('refuses to keep fewer than one slot per task', async (t) => {
      const { store } = await openTestStore(t, dialect)
      assert.throws(() => scheduleHistoryTrimmer(store, 0), /positive integer/)
    })
  })
}
