import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

/** The most runs whose [start, end] intervals overlap at one instant (touching ends do not). */
function maxOverlap(runs: { startedAt: number; endedAt: number }[]): number {
  const events = runs.flatMap(
    (r) =>
      [
        [r.startedAt, 1],
        [r.endedAt, -1],
      ] as const,
  )
  // At equal instants an end comes before a start: a slot freed at t may be taken at t.
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1])
  let now = 0
  let most = 0
  for (const [, d] of events) most = Math.max(most, (now += d))
  return most
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: max_workers under parallel requests (issue 8)`, { skip: dialect.skip }, () => {
    it('12 tasks created at once with max_workers 2: every run completes, never more than 2 at a time', { timeout: 60_000 }, async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_MAX_WORKERS: '2' } })
      const created = await Promise.all(Array.from({ length: 12 }, (_, i) => app.createTask({ conda_env: 'base', task_name: `p${i}`, command: 'sleep 0.2' })))
      for (const c of created) assert.equal(c.status, 201, JSON.stringify(c.body))
      const runIds = await Promise.all(created.map(async (c) => (await app.store.runs.listForTask(c.body.task.task_id, 1))[0]!.id))
      let sawBusy = 0
      const sampler = setInterval(() => void app.store.runs.countBusy().then((n) => (sawBusy = Math.max(sawBusy, n))), 20)
      await Promise.all(runIds.map((id) => app.runFinished(id)))
      clearInterval(sampler)
      const runs = await Promise.all(runIds.map((id) => app.store.runs.findById(id)))
      assert.deepEqual(
        runs.map((r) => r?.status),
        runIds.map(() => 'completed'),
      )
      assert.ok(sawBusy <= 2, `saw ${sawBusy} busy runs`)
      assert.equal(maxOverlap(runs.map((r) => ({ startedAt: r!.startedAt!, endedAt: r!.endedAt! }))), 2)
    })
  })
}
