import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTestApp } from '../helpers/test-app.ts'

describe('GET /api/tasks/stats and history (spec 000)', () => {
  it('counts tasks and runs, and fills every series from real data', async (t) => {
    const app = await createTestApp(t)
    const ok = await app.createTask({ conda_env: 'base', task_name: 'ok', command: 'true' })
    const bad = await app.createTask({ conda_env: 'base', task_name: 'bad', command: 'exit 3' })
    await app.createTask({ conda_env: 'base', task_name: 'later', cron_expression: '0 0 1 1 *', command: 'true' })
    for (const r of [ok, bad]) await app.runFinished((await app.runningRun(r.body.task.task_id)).runId)

    const { status, body } = await app.json('/api/tasks/stats')
    assert.equal(status, 200)
    assert.deepEqual(
      [body.total, body.scheduled, body.running, body.completed, body.failed, body.paused, body.stopped_count, body.success_rate],
      [3, 1, 0, 1, 1, 0, 0, 50],
    )
    assert.deepEqual(body.task_success_rate, { success: 1, failed: 1, cancelled: 0, abnormal: 0 })
    assert.equal(typeof body.avg_duration, 'number')
    assert.ok(body.min_duration <= body.max_duration)
    assert.equal(body.system_resources.timestamps.length, 24)
    assert.match(body.system_resources.timestamps[23], /^\d{4}-\d{2}-\d{2} \d{2}:00:00$/)
    assert.equal(typeof body.system_resources.memory_usage[23], 'number')
    assert.ok(body.system_resources.total_memory > 0)
    assert.equal(body.system_resources.task_counts[23], 2)
    assert.equal(body.last_7_days.dates.length, 7)
    assert.deepEqual([body.last_7_days.success_counts[6], body.last_7_days.failed_counts[6]], [1, 1])
    assert.deepEqual(body.upcoming_tasks.map((u: { task_name: string }) => u.task_name), ['later'])
    assert.deepEqual(Object.keys(body.upcoming_tasks[0]).sort(), ['command', 'conda_env', 'cron_expression', 'scheduled_time', 'task_id', 'task_name'])
    assert.deepEqual(body.recent_tasks.map((r: { name: string }) => r.name).sort(), ['bad', 'ok'])

    const history = await app.json('/api/tasks/history')
    assert.equal(history.body.status, 'success')
    assert.deepEqual(history.body.data.map((h: { task_name: string; exit_code: number }) => [h.task_name, h.exit_code]).sort(), [['bad', 3], ['ok', 0]])
    const asList = await app.json('/api/tasks?type=history')
    assert.deepEqual(asList.body, history.body.data)
  })

  it('shows performance metrics of a task chronologically', async (t) => {
    const app = await createTestApp(t)
    const res = await app.createTask({ conda_env: 'base', task_name: 'm', command: 'true' })
    const id = res.body.task.task_id
    await app.runFinished((await app.runningRun(id)).runId)
    await app.json(`/api/tasks/${id}/trigger`, { method: 'POST' })
    const second = (await app.store.runs.listForTask(id, 1))[0]!
    await app.runFinished(second.id)
    const { body } = await app.json(`/api/tasks/${id}`)
    assert.equal(body.execution_history.length, 2)
    assert.deepEqual(body.task.executions, [String(second.id), body.execution_history[1].execution_id])
    assert.equal(body.task.last_execution_id, String(second.id))
    // Oldest first: the reverse of execution_history, which is newest first.
    const history = [...body.execution_history].reverse()
    assert.deepEqual(body.performance_metrics.durations, history.map((e: { duration: number }) => e.duration))
    assert.deepEqual(body.performance_metrics.timestamps, history.map((e: { start_time: string }) => e.start_time))
    assert.deepEqual(body.performance_metrics.peak_memories, history.map((e: { peak_memory: number | null }) => e.peak_memory))
    assert.ok(body.performance_metrics.timestamps[0] <= body.performance_metrics.timestamps[1])
    assert.equal(body.latest_execution.execution_id, String(second.id))
    assert.equal(body.latest_execution.logs, '')
  })
})
