/**
 * Graceful shutdown (issue 8) on a running server, both dialects, real processes: no new run
 * starts, a running one may finish within TASKYARD_SHUTDOWN_GRACE_SECONDS and keeps its own
 * outcome, one still going after it is stopped and recorded abnormal with why.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openStore } from '../../src/store/kysely-store.ts'
import { createTestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

for (const dialect of testDialects()) {
  describe(`${dialect.name}: graceful shutdown`, { skip: dialect.skip }, () => {
    it('lets a running run finish within the grace, and starts nothing new meanwhile', async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_SHUTDOWN_GRACE_SECONDS: '20' } })
      const created = await app.createTask({ task_name: 'short', conda_env: 'base', command: 'sleep 1; echo done' })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const { runId } = await app.runningRun(created.body.task.task_id)
      const started = performance.now()
      const closing = app.close()
      // The HTTP server still answers during the grace; a run queued now waits for the next start.
      const late = await app.createTask({ task_name: 'late', conda_env: 'base', command: 'echo late' })
      assert.equal(late.status, 201, JSON.stringify(late.body))
      await closing
      const elapsed = performance.now() - started
      assert.ok(elapsed < 15_000, `close waited for the run (${Math.round(elapsed)} ms), not for the whole grace`)
      const store = await openStore({ databaseUrl: app.databaseUrl })
      try {
        const run = await store.runs.findById(runId)
        assert.deepEqual([run?.status, run?.exitCode, run?.error], ['completed', 0, null])
        const [lateRun] = await store.runs.listForTask(late.body.task.task_id, 10)
        assert.deepEqual([lateRun?.status, lateRun?.startedAt], ['queued', null], 'never started')
      } finally {
        await store.close()
      }
    })

    it('stops a run still going when the grace ends, and records why', async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_SHUTDOWN_GRACE_SECONDS: '1' } })
      const created = await app.createTask({ task_name: 'long', conda_env: 'base', command: 'sleep 1000' })
      const { runId } = await app.runningRun(created.body.task.task_id)
      const started = performance.now()
      await app.close()
      const elapsed = performance.now() - started
      assert.ok(elapsed >= 1_000, `the run had its grace (${Math.round(elapsed)} ms)`)
      const store = await openStore({ databaseUrl: app.databaseUrl })
      try {
        const run = await store.runs.findById(runId)
        assert.equal(run?.status, 'abnormal')
        assert.equal(run?.error, 'Taskyard shut down and the run did not finish within the shutdown grace of 1 s (TASKYARD_SHUTDOWN_GRACE_SECONDS)')
      } finally {
        await store.close()
      }
    })
  })
}
