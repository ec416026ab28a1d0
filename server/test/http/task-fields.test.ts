/**
 * Every field of spec 000's task list (`type=defined` and `type=history`) and of GET task, with
 * exact values. The test writes every instant itself through the store, so each formatted time
 * is known to the second; the seconds are never 00, so a format that drops or zeroes them fails.
 */
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import type { NewTask } from '../../src/domain/task.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { runLogFile } from '../../src/logs/file-log-store.ts'

const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/
const two = (n: number): string => String(n).padStart(2, '0')

/** An instant given as local wall-clock parts, and how spec 000 writes it ("2025-05-02 15:30:07"). */
function local(y: number, mo: number, d: number, h: number, mi: number, s: number): { ms: number; text: string } {
  return { ms: new Date(y, mo - 1, d, h, mi, s).getTime(), text: `${y}-${two(mo)}-${two(d)} ${two(h)}:${two(mi)}:${two(s)}` }
}

/** A local instant `daysAgo` days before now at h:mi:s, for runs that must fall in the history month. */
function recent(daysAgo: number, h: number, mi: number, s: number): { ms: number; text: string } {
  const day = new Date(Date.now() - daysAgo * 86_400_000)
  return local(day.getFullYear(), day.getMonth() + 1, day.getDate(), h, mi, s)
}

function assertTimes(value: unknown, where: string): void {
  if (typeof value === 'string' && /time|_at$|timestamps/.test(where)) assert.match(value, TIME, where)
  if (Array.isArray(value)) value.forEach((v, i) => assertTimes(v, `${where}[${i}]`))
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) assertTimes(v, `${where}.${k}`)
}

const baseTask = (overrides: Partial<NewTask>): NewTask => ({
  name: 'x',
  source: 'file',
  scriptFile: 'job.py',
  command: 'python job.py',
  condaEnv: 'base',
  requirements: null,
  cronExpression: null,
  delaySeconds: null,
  priority: 5,
  status: 'completed',
  createdAt: 0,
  updatedAt: 0,
  nextRunAt: null,
  ownerId: null,
  ...overrides,
})

const created = local(2025, 5, 2, 9, 41, 17)
const updated = local(2025, 5, 3, 10, 2, 53)
const next = local(2099, 1, 2, 3, 4, 5)

async function seed(app: TestApp) {
  const { store } = app
  const cron = await store.tasks.insert(
    baseTask({
      name: 'every-ten',
      cronExpression: '*/10 * * * *',
      status: 'scheduled',
      priority: 2,
      createdAt: created.ms,
      updatedAt: updated.ms,
      nextRunAt: next.ms,
    }),
  )
  const once = await store.tasks.insert(baseTask({ name: 'one-off', status: 'completed', priority: 8, createdAt: created.ms, updatedAt: updated.ms }))
  const fresh = await store.tasks.insert(baseTask({ name: 'never-ran', status: 'stopped', createdAt: created.ms, updatedAt: created.ms }))

  // Two finished runs of `once`: 2.5 s and 45.25 s; memory 128.5 / 78.3 MB and 64 / 32 MB.
  const r1Start = recent(3, 8, 15, 11)
  const r1End = recent(3, 8, 15, 13) // + 2 s, then 500 ms below
  const r2Start = recent(1, 14, 20, 19)
  const r2End = recent(1, 14, 21, 4) // + 45 s, then 250 ms below
  const mb = (n: number) => Math.round(n * 1048576)
  const run1 = await store.runs.insert({ taskId: once.id, priority: 8, trigger: 'create', queuedAt: r1Start.ms - 1 })
  await store.runs.update(run1.id, {
    status: 'failed',
    startedAt: r1Start.ms,
    endedAt: r1End.ms + 500,
    exitCode: 3,
    pid: 4242,
    peakRssBytes: mb(64),
    avgRssBytes: mb(32),
  })
  const run2 = await store.runs.insert({ taskId: once.id, priority: 8, trigger: 'manual', queuedAt: r2Start.ms - 1 })
  await store.runs.update(run2.id, {
    status: 'completed',
    startedAt: r2Start.ms,
    endedAt: r2End.ms + 250,
    exitCode: 0,
    pid: 4343,
    peakRssBytes: mb(128.5),
    avgRssBytes: mb(78.3),
  })
  await store.tasks.update(once.id, { lastRunAt: r2Start.ms, lastRunDurationMs: 45_250, lastRunId: run2.id })
  await mkdir(app.paths.logsDir, { recursive: true })
  await writeFile(runLogFile(app.paths.logsDir, run2.id), 'line one\nline two\n')
  return { cron, once, fresh, run1, run2, r1Start, r2Start, completedAt: recent(1, 14, 21, 4) }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: every field of the task list and of GET task (spec 000)`, () => {
    it('GET /api/tasks (default and type=defined) lists every task with every field, times to the second', async (t) => {
      const app = await createTestApp(t, { dialect })
      const s = await seed(app)
      const expected = [
        {
          task_id: s.cron.id,
          task_name: 'every-ten',
          status: 'scheduled',
          conda_env: 'base',
          created_at: created.text,
          cron_expression: '*/10 * * * *',
          next_run_time_formatted: next.text,
          last_run_time_formatted: null,
          last_run_duration_formatted: null,
          priority: 'high',
        },
        {
          task_id: s.once.id,
          task_name: 'one-off',
          status: 'completed',
          conda_env: 'base',
          created_at: created.text,
          cron_expression: null,
          next_run_time_formatted: null,
          last_run_time_formatted: s.r2Start.text,
          // completed_at: the last run's start plus its duration (45.25 s, shown to the second).
          last_run_duration_formatted: 45.25,
          priority: 'low',
          completed_at: s.completedAt.text,
        },
        {
          task_id: s.fresh.id,
          task_name: 'never-ran',
          status: 'stopped',
          conda_env: 'base',
          created_at: created.text,
          cron_expression: null,
          next_run_time_formatted: null,
          last_run_time_formatted: null,
          last_run_duration_formatted: null,
          priority: 'normal',
        },
      ]
      for (const url of ['/api/tasks', '/api/tasks?type=defined']) {
        const res = await app.json(url)
        assert.equal(res.status, 200, url)
        assert.deepEqual(res.body, expected, url)
        assertTimes(res.body, url)
      }
    })

    it('GET /api/tasks?type=history and /api/tasks/history list every run of the month, newest first, every field', async (t) => {
      const app = await createTestApp(t, { dialect })
      const s = await seed(app)
      const expected = [
        {
          task_id: s.once.id,
          task_name: 'one-off',
          status: 'completed',
          execution_time: s.r2Start.text,
          duration: 45.25,
          peak_memory: 128.5,
          avg_memory: 78.3,
          exit_code: 0,
          execution_id: String(s.run2.id),
        },
        {
          task_id: s.once.id,
          task_name: 'one-off',
          status: 'failed',
          execution_time: s.r1Start.text,
          duration: 2.5,
          peak_memory: 64,
          avg_memory: 32,
          exit_code: 3,
          execution_id: String(s.run1.id),
        },
      ]
      const list = await app.json('/api/tasks?type=history')
      assert.equal(list.status, 200)
      assert.deepEqual(list.body, expected)
      assertTimes(list.body, 'history')
      const history = await app.json('/api/tasks/history')
      assert.deepEqual([history.status, history.body], [200, { status: 'success', data: expected }])
    })

    it('GET /api/tasks/:id answers every field of task, history, metrics and latest execution', async (t) => {
      const app = await createTestApp(t, { dialect })
      const s = await seed(app)
      const res = await app.json(`/api/tasks/${s.once.id}`)
      assert.equal(res.status, 200)
      const execution = (run: typeof s.run1, fields: Record<string, unknown>) => ({
        execution_id: String(run.id),
        signal: null,
        error: null,
        ...fields,
      })
      const latest = execution(s.run2, {
        start_time: s.r2Start.text,
        end_time: recent(1, 14, 21, 4).text,
        status: 'completed',
        duration: 45.25,
        peak_memory: 128.5,
        avg_memory: 78.3,
        exit_code: 0,
      })
      const earlier = execution(s.run1, {
        start_time: s.r1Start.text,
        end_time: recent(3, 8, 15, 13).text,
        status: 'failed',
        duration: 2.5,
        peak_memory: 64,
        avg_memory: 32,
        exit_code: 3,
      })
      assert.deepEqual(res.body, {
        success: true,
        task: {
          task_id: s.once.id,
          task_name: 'one-off',
          script_path: `${app.paths.taskDir(s.once.id)}/job.py`,
          conda_env: 'base',
          status: 'completed',
          created_at: created.text,
          updated_at: updated.text,
          cron_expression: null,
          delay_seconds: null,
          next_run_time: null,
          last_run_time: s.r2Start.text,
          last_run_duration: 45.25,
          requirements: null,
          command: 'python job.py',
          priority: 'low',
          priority_value: 8,
          last_execution_id: String(s.run2.id),
          executions: [String(s.run2.id), String(s.run1.id)],
        },
        execution_history: [latest, earlier],
        // Oldest first, as a chart draws them.
        performance_metrics: {
          durations: [2.5, 45.25],
          timestamps: [s.r1Start.text, s.r2Start.text],
          peak_memories: [64, 128.5],
          avg_memories: [32, 78.3],
        },
        latest_execution: { ...latest, logs: 'line one\nline two\n' },
      })
      assertTimes(res.body, 'detail')

      const cron = await app.json(`/api/tasks/${s.cron.id}`)
      assert.deepEqual(cron.body, {
        success: true,
        task: {
          task_id: s.cron.id,
          task_name: 'every-ten',
          script_path: `${app.paths.taskDir(s.cron.id)}/job.py`,
          conda_env: 'base',
          status: 'scheduled',
          created_at: created.text,
          updated_at: updated.text,
          cron_expression: '*/10 * * * *',
          delay_seconds: null,
          next_run_time: next.text,
          last_run_time: null,
          last_run_duration: null,
          requirements: null,
          command: 'python job.py',
          priority: 'high',
          priority_value: 2,
          last_execution_id: null,
          executions: [],
        },
        execution_history: [],
        performance_metrics: { durations: [], timestamps: [], peak_memories: [], avg_memories: [] },
        latest_execution: null,
      })
    })

    it('times written by the server itself (create, run) are YYYY-MM-DD HH:MM:SS in every listing', async (t) => {
      const app = await createTestApp(t, { dialect })
      const res = await app.createTask({ conda_env: 'base', task_name: 'real', command: 'echo hi' })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      const { runId } = await app.runningRun(res.body.task.task_id)
      await app.runFinished(runId)
      const id = res.body.task.task_id
      const [list, history, detail] = await Promise.all([app.json('/api/tasks'), app.json('/api/tasks?type=history'), app.json(`/api/tasks/${id}`)])
      assert.match(list.body[0].created_at, TIME)
      assert.match(list.body[0].last_run_time_formatted, TIME)
      assert.match(list.body[0].completed_at, TIME)
      assert.match(history.body[0].execution_time, TIME)
      for (const key of ['created_at', 'updated_at', 'last_run_time']) assert.match(detail.body.task[key], TIME, key)
      for (const key of ['start_time', 'end_time']) assert.match(detail.body.latest_execution[key], TIME, key)
      assert.match(detail.body.performance_metrics.timestamps[0], TIME)
      assertTimes([list.body, history.body, detail.body], 'all')
    })
  })
}
