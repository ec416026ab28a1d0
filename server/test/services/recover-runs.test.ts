import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ABNORMAL_RESTART, recoverRuns } from '../../src/services/recover-runs.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newRun, newTask, openTestStore, T0 } from '../store/store-fixtures.ts'

const OURS = 'node-11111111-1111-4111-8111-111111111111'
const THEIRS = 'node-22222222-2222-4222-8222-222222222222'

for (const dialect of testDialects()) {
  describe(`${dialect.name}: recoverRuns after a restart`, { skip: dialect.skip }, () => {
    it("closes this node's lost runs (and pre-node-id ones) and never another node's", async (t) => {
      const { store } = await openTestStore(t, dialect)
      const started = async (name: string, workerId: string, pid: number) => {
        const task = await store.tasks.insert(newTask({ name, status: 'running' }))
        const queuedRun = await store.runs.insert(newRun(task.id))
        const run = (await store.runs.update(queuedRun.id, { status: 'running', workerId, pid, startedAt: T0 + 10 }))!
        return { task, run }
      }
      const mine = await started('mine', OURS, 101)
      // Claimed and running, but the crash came before its pid was stored: its processes are found by their markers.
      const noPidTask = await store.tasks.insert(newTask({ name: 'no-pid', status: 'running' }))
      const noPid = (await store.runs.update((await store.runs.insert(newRun(noPidTask.id))).id, { status: 'running', workerId: OURS, startedAt: T0 + 10 }))!
      const legacy = await started('legacy', 'old-host:4242:a1b2c3', 102)
      const other = await started('other', THEIRS, 103)
      const queuedTask = await store.tasks.insert(newTask({ name: 'queued', status: 'running' }))
      const queued = await store.runs.insert(newRun(queuedTask.id))
      const otherBefore = { task: await store.tasks.findById(other.task.id), run: await store.runs.findById(other.run.id) }

      const ended: [number | null, number, number][] = []
      const closed = await recoverRuns({
        store,
        clock: { now: () => T0 + 1000 },
        workerId: OURS,
        endOrphanedRun: (pgid, runId, taskId) => void ended.push([pgid, runId, taskId]),
      })

      assert.deepEqual(
        closed,
        [mine.run.id, noPid.id, legacy.run.id].sort((a, b) => a - b),
      )
      assert.deepEqual(
        ended.sort((a, b) => a[1] - b[1]),
        [
          [101, mine.run.id, mine.task.id],
          [null, noPid.id, noPidTask.id],
          [102, legacy.run.id, legacy.task.id],
        ].sort((a, b) => (a[1] as number) - (b[1] as number)),
      )
      assert.equal((await store.runs.findById(noPid.id))?.status, 'abnormal')
      for (const { run, task } of [mine, legacy]) {
        assert.deepEqual(await store.runs.findById(run.id), { ...run, status: 'abnormal', endedAt: T0 + 1000, error: ABNORMAL_RESTART })
        const after = await store.tasks.findById(task.id)
        assert.deepEqual(after, { ...task, status: 'failed', lastRunAt: T0 + 10, lastRunDurationMs: 990, lastRunId: run.id })
      }
      assert.deepEqual(
        { task: await store.tasks.findById(other.task.id), run: await store.runs.findById(other.run.id) },
        otherBefore,
        "another node's run is untouched",
      )
      assert.equal((await store.runs.findById(queued.id))?.status, 'queued', 'queued runs wait to be claimed')
    })
  })
}
