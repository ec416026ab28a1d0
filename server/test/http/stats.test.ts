import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTestApp } from '../helpers/test-app.ts'

describe('GET /api/tasks/stats and history (spec 000)', () => {
  it('counts tasks and runs, and fills every series from real data', async (t) => {
    const app = await createTestApp(t)
    const ok = await app.createTask({ conda_env: 'base', task_name: 'ok', command: 'true' })
    const bad = await app.createTask({ conda_env: 'base', task_name: 'bad', command: 'exit 3' })
    const later = await app.createTask({ conda_env: 'base', task_name: 'later', cron_expression: '0 0 1 1 *', command: 'true' })
    for (const r of [ok, bad]) await app.runFinished((await app.runningRun(r.body.task.task_id)).runId)
    const [okRun, badRun] = await Promise.all([ok, bad].map(async (r) => (await app.store.runs.listForTask(r.body.task.task_id, 1))[0]!))
    const durationsMs = [okRun!, badRun!].map((r) => r.endedAt! - r.startedAt!)

    const nowBefore = Date.now()
    const { status, body } = await app.json('/api/tasks/stats')
    const nowAfter = Date.now()
    assert.equal(status, 200)
    assert.deepEqual(
      [body.total, body.scheduled, body.running, body.completed, body.failed, body.paused, body.stopped_count, body.success_rate],
      [3, 1, 0, 1, 1, 0, 0, 50],
    )
    assert.deepEqual(body.task_success_rate, { success: 1, failed: 1, cancelled: 0, abnormal: 0 })
    // Durations in seconds with two decimals, from the two runs the store holds.
    const sec = (ms: number) => Math.round(ms / 10) / 100
    assert.deepEqual(
      [body.avg_duration, body.min_duration, body.max_duration],
      [sec((durationsMs[0]! + durationsMs[1]!) / 2), sec(Math.min(...durationsMs)), sec(Math.max(...durationsMs))],
    )

    // 24 consecutive hours ending with the current one; both runs counted in the hour they started.
    const hours = body.system_resources.timestamps as string[]
    const lastHour = [hourText(nowBefore), hourText(nowAfter)]
    assert.ok(lastHour.includes(hours[23]!), `${hours[23]} is not the current hour`)
    const firstHourMs = hourStart(hours[23] === lastHour[0] ? nowBefore : nowAfter) - 23 * 3_600_000
    assert.deepEqual(
      hours,
      Array.from({ length: 24 }, (_, i) => hourText(firstHourMs + i * 3_600_000)),
    )
    const counts = Array.from({ length: 24 }, () => 0)
    for (const run of [okRun!, badRun!]) counts[hours.indexOf(hourText(run.startedAt!))]! += 1
    assert.deepEqual(body.system_resources.task_counts, counts)
    assert.equal(body.system_resources.memory_usage.length, 24)
    for (const mb of body.system_resources.memory_usage) assert.ok(mb === null || (Number.isInteger(mb) && mb > 0), String(mb))
    assert.ok(Number.isInteger(body.system_resources.total_memory) && body.system_resources.total_memory > 0)

    // 7 consecutive local dates ending today; one success and one failure, both today.
    const today = new Date(nowAfter)
    assert.deepEqual(body.last_7_days, {
      dates: Array.from({ length: 7 }, (_, i) => dateText(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 6 + i))),
      success_counts: [0, 0, 0, 0, 0, 0, 1],
      failed_counts: [0, 0, 0, 0, 0, 0, 1],
    })
    assert.deepEqual(body.upcoming_tasks, [
      {
        task_id: later.body.task.task_id,
        task_name: 'later',
        conda_env: 'base',
        command: 'true',
        scheduled_time: `${today.getFullYear() + 1}-01-01 00:00:00`,
        cron_expression: '0 0 1 1 *',
      },
    ])
    const recent = (run: NonNullable<typeof okRun>, name: string) => ({
      task_id: run.taskId,
      name,
      status: run.status,
      start_time: timeText(run.startedAt!),
      end_time: timeText(run.endedAt!),
      duration: sec(run.endedAt! - run.startedAt!),
    })
    assert.deepEqual(
      [...body.recent_tasks].sort((a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name)),
      [recent(badRun!, 'bad'), recent(okRun!, 'ok')],
    )
    assert.deepEqual([okRun!.status, badRun!.status], ['completed', 'failed'])

    const history = await app.json('/api/tasks/history')
    assert.equal(history.body.status, 'success')
    assert.deepEqual(history.body.data.map((h: { task_name: string; exit_code: number }) => [h.task_name, h.exit_code]).sort(), [
      ['bad', 3],
      ['ok', 0],
    ])
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
    assert.deepEqual(
      body.performance_metrics.durations,
      history.map((e: { duration: number }) => e.duration),
    )
    assert.deepEqual(
      body.performance_metrics.timestamps,
      history.map((e: { start_time: string }) => e.start_time),
    )
    assert.deepEqual(
      body.performance_metrics.peak_memories,
      history.map((e: { peak_memory: number | null }) => e.peak_memory),
    )
    assert.ok(body.performance_metrics.timestamps[0] <= body.performance_metrics.timestamps[1])
    assert.equal(body.latest_execution.execution_id, String(second.id))
    assert.equal(body.latest_execution.logs, '')
  })
})

const two = (n: number): string => String(n).padStart(2, '0')
/** spec 000's date and time words in local time, written out here rather than borrowed from the server. */
function dateText(d: Date): string {
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`
}
function timeText(ms: number): string {
  const d = new Date(ms)
  return `${dateText(d)} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
}
function hourStart(ms: number): number {
  const d = new Date(ms)
  return new Date(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours()).getTime()
}
function hourText(ms: number): string {
  return `${timeText(hourStart(ms)).slice(0, 13)}:00:00`
}
