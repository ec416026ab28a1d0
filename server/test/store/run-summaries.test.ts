/**
 * Migration 006's summaries (run_totals, run_buckets) against the runs themselves, on both
 * dialects: after a mixed workload through the store (inserts, claims, pauses, ends of every
 * kind, a finished run rewritten, deletes of tasks with runs, crash recovery closing runs as
 * abnormal) the tables equal what a rebuild from the runs gives, and every statistic the store
 * answers from them equals the same figure counted over the runs.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql, type Kysely } from 'kysely'
import { isActive, type Run, type RunStatus } from '../../src/domain/run.ts'
import { recoverRuns } from '../../src/services/recover-runs.ts'
import { BUCKET_MS } from '../../src/store/migrations/006-run-summaries.ts'
import { openPostgres } from '../../src/store/postgres.ts'
import { openSqlite, sqliteFileFromUrl } from '../../src/store/sqlite.ts'
import type { Store } from '../../src/store/store.ts'
import type { TimeRange } from '../../src/domain/time-range.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newRun, newTask, openTestStore, T0 } from './store-fixtures.ts'

interface RawRun {
  id: number
  task_id: number
  status: RunStatus
  started_at: number | null
  ended_at: number | null
}

/** A small deterministic generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const HOUR = 3_600_000
const duration = (r: RawRun): number | null => (r.started_at === null || r.ended_at === null ? null : r.ended_at - r.started_at)

/** What run_totals and run_buckets must hold, computed here from the runs, rows sorted. */
function rebuild(runs: RawRun[]): { totals: string[]; buckets: string[] } {
  const totals = new Map<string, { runs: number; timed: number; sum: number; min: number | null; max: number | null }>()
  const buckets = new Map<string, { started: number; ended: number }>()
  const bucket = (at: number, status: string) => {
    const key = `${at - (at % BUCKET_MS)} ${status}`
    const b = buckets.get(key) ?? { started: 0, ended: 0 }
    buckets.set(key, b)
    return b
  }
  for (const r of runs.filter((run) => !isActive(run.status))) {
    const key = `${r.task_id} ${r.status}`
    const t = totals.get(key) ?? { runs: 0, timed: 0, sum: 0, min: null, max: null }
    totals.set(key, t)
    t.runs += 1
    const d = duration(r)
    if (d !== null) {
      t.timed += 1
      t.sum += d
      t.min = t.min === null ? d : Math.min(t.min, d)
      t.max = t.max === null ? d : Math.max(t.max, d)
    }
    if (r.started_at !== null) bucket(r.started_at, r.status).started += 1
    if (r.ended_at !== null) bucket(r.ended_at, r.status).ended += 1
  }
  return {
    totals: [...totals].map(([k, t]) => `${k} ${t.runs} ${t.timed} ${t.sum} ${t.min} ${t.max}`).sort(),
    buckets: [...buckets].map(([k, b]) => `${k} ${b.started} ${b.ended}`).sort(),
  }
}

/** The summary tables as they are, without rows that count nothing (left behind by removals). */
async function summaries(db: Kysely<any>): Promise<{ totals: string[]; buckets: string[] }> {
  const totals = await sql<Record<string, number | string | null>>`SELECT * FROM run_totals WHERE runs <> 0`.execute(db)
  const buckets = await sql<Record<string, number | string | null>>`SELECT * FROM run_buckets WHERE started <> 0 OR ended <> 0`.execute(db)
  const n = (v: unknown): string => (v === null ? 'null' : String(Number(v)))
  return {
    totals: totals.rows.map((t) => `${n(t.task_id)} ${t.status} ${n(t.runs)} ${n(t.timed)} ${n(t.sum_ms)} ${n(t.min_ms)} ${n(t.max_ms)}`).sort(),
    buckets: buckets.rows.map((b) => `${n(b.at)} ${b.status} ${n(b.started)} ${n(b.ended)}`).sort(),
  }
}

/** Every statistic the store answers, counted over the runs instead. */
function expectedStats(runs: RawRun[], hours: TimeRange[], days: TimeRange[]) {
  const byStatus: Partial<Record<RunStatus, number>> = {}
  for (const r of runs) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1
  const ds = runs.map(duration).filter((d): d is number => d !== null)
  const inRange = (field: 'started_at' | 'ended_at', range: TimeRange, statuses?: RunStatus[]) =>
    runs.filter((r) => r[field] !== null && r[field] >= range.from && r[field] < range.to && (statuses === undefined || statuses.includes(r.status))).length
  return {
    byStatus,
    durations: {
      count: ds.length,
      avgMs: ds.length === 0 ? null : ds.reduce((a, b) => a + b, 0) / ds.length,
      minMs: ds.length === 0 ? null : Math.min(...ds),
      maxMs: ds.length === 0 ? null : Math.max(...ds),
    },
    started: hours.map((h) => inRange('started_at', h)),
    succeeded: days.map((d) => inRange('ended_at', d, ['completed'])),
    failed: days.map((d) => inRange('ended_at', d, ['failed', 'abnormal'])),
    running: days.map((d) => inRange('started_at', d, ['running', 'completed'])),
  }
}

async function actualStats(store: Store, hours: TimeRange[], days: TimeRange[]) {
  return {
    byStatus: await store.runs.countByStatus(),
    durations: await store.runs.durationStats(),
    started: await store.runs.countInRanges('startedAt', hours),
    succeeded: await store.runs.countInRanges('endedAt', days, ['completed']),
    failed: await store.runs.countInRanges('endedAt', days, ['failed', 'abnormal']),
    running: await store.runs.countInRanges('startedAt', days, ['running', 'completed']),
  }
}

/** A mixed workload over `tasks` tasks; returns the ids of the tasks still there. */
async function workload(store: Store, rnd: () => number, taskIds: number[]): Promise<void> {
  const at = (): number => T0 + Math.floor(rnd() * 3 * 24 * HOUR)
  const ends: RunStatus[] = ['completed', 'completed', 'failed', 'cancelled', 'abnormal']
  for (let i = 0; i < 400; i++) {
    const taskId = taskIds[Math.floor(rnd() * taskIds.length)]!
    const queuedAt = at()
    const run = await store.runs.insert(newRun(taskId, { queuedAt }))
    const roll = rnd()
    if (roll < 0.08) continue // stays queued
    if (roll < 0.1) {
      await store.runs.update(run.id, { status: 'paused' }) // paused before it started
      continue
    }
    if (roll < 0.14) {
      // cancelled while queued: an end without a start
      await store.runs.update(run.id, { status: 'cancelled', endedAt: queuedAt + 5 })
      continue
    }
    const startedAt = queuedAt + Math.floor(rnd() * 1000)
    await store.runs.update(run.id, { status: 'running', startedAt, pid: 1_000_000 + i, workerId: 'node-test' })
    if (roll < 0.22) continue // left running: recovery closes it
    if (roll < 0.26) {
      await store.runs.update(run.id, { status: 'paused' })
      continue
    }
    const endedAt = startedAt + Math.floor(rnd() * 2 * HOUR)
    const status = ends[Math.floor(rnd() * ends.length)]!
    // The end in one transaction with the task's update, as the dispatcher writes it.
    await store.transaction(async (tx) => {
      await tx.runs.update(run.id, { status, endedAt, exitCode: status === 'completed' ? 0 : 1 })
      await tx.tasks.update(taskId, { lastRunAt: startedAt, lastRunDurationMs: endedAt - startedAt, lastRunId: run.id })
    })
    if (rnd() < 0.05) {
      // A finished run rewritten (another end, another instant): its old contribution goes.
      await store.runs.update(run.id, { status: rnd() < 0.5 ? 'failed' : 'abnormal', endedAt: endedAt + Math.floor(rnd() * HOUR) })
    }
    if (rnd() < 0.02) await store.runs.update(run.id, { startedAt: null })
  }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: run summaries (migration 006)`, { skip: dialect.skip }, () => {
    it('equal a rebuild from the runs after inserts, ends of every kind, rewrites, task deletes and crash recovery; every statistic matches a count over the runs', async (t) => {
      const { store, databaseUrl } = await openTestStore(t, dialect)
      const raw: Kysely<any> = dialect.name === 'sqlite' ? openSqlite(sqliteFileFromUrl(databaseUrl)) : openPostgres(databaseUrl)
      t.after(() => raw.destroy())
      const rnd = random(10)
      const taskIds: number[] = []
      for (let i = 0; i < 8; i++) taskIds.push((await store.tasks.insert(newTask({ name: `task-${i}` }))).id)

      await workload(store, rnd, taskIds)
      // Two tasks with runs go, one of them holding the all-time shortest or longest run.
      const before = (await sql<RawRun>`SELECT id, task_id, status, started_at, ended_at FROM runs`.execute(raw)).rows.map(numeric)
      const timed = before.filter((r) => !isActive(r.status) && duration(r) !== null)
      const longest = timed.reduce((a, b) => (duration(b)! > duration(a)! ? b : a))
      const doomed = [longest.task_id, taskIds.find((id) => id !== longest.task_id)!]
      for (const id of doomed) assert.equal(await store.tasks.delete(id), true)
      const live = taskIds.filter((id) => !doomed.includes(id))
      await workload(store, rnd, live)
      const closed = await recoverRuns({ store, clock: { now: () => T0 + 4 * 24 * HOUR }, workerId: 'node-test', endOrphanedRun: () => {} })
      assert.ok(closed.length > 0, 'recovery closed runs as abnormal')

      const runs = (await sql<RawRun>`SELECT id, task_id, status, started_at, ended_at FROM runs`.execute(raw)).rows.map(numeric)
      assert.ok(runs.some((r) => doomed.includes(r.task_id)) === false)
      for (const status of ['queued', 'paused', 'completed', 'failed', 'cancelled', 'abnormal'] as const) {
        assert.ok(
          runs.some((r) => r.status === status),
          `the workload left a ${status} run`,
        )
      }
      assert.deepEqual(await summaries(raw), rebuild(runs))

      const hours = Array.from({ length: 80 }, (_, i) => ({ from: T0 - (T0 % HOUR) + i * HOUR, to: T0 - (T0 % HOUR) + (i + 1) * HOUR }))
      // Quarter-hour days (every zone's midnight is one), and some that are not (read from the runs).
      const days = [
        ...Array.from({ length: 5 }, (_, i) => ({ from: T0 - (T0 % BUCKET_MS) + i * 24 * HOUR, to: T0 - (T0 % BUCKET_MS) + (i + 1) * 24 * HOUR })),
        { from: T0 + 7, to: T0 + 30 * HOUR + 11 },
      ]
      const expected = expectedStats(runs, hours, days)
      const actual = await actualStats(store, hours, days)
      assert.equal(actual.durations.count, expected.durations.count)
      assert.ok(Math.abs(actual.durations.avgMs! - expected.durations.avgMs!) < 1e-6)
      assert.deepEqual({ ...actual, durations: { ...actual.durations, avgMs: 0 } }, { ...expected, durations: { ...expected.durations, avgMs: 0 } })
      for (const id of live) {
        assert.equal(await store.runs.countForTask(id), runs.filter((r) => r.task_id === id).length)
      }
    })

    it('runs.importMany writes finished runs in bulk and adds them to the summaries set-wise: they equal a rebuild from the runs, and the per-row triggers still work after it', async (t) => {
      const { store, databaseUrl } = await openTestStore(t, dialect)
      const raw: Kysely<any> = dialect.name === 'sqlite' ? openSqlite(sqliteFileFromUrl(databaseUrl)) : openPostgres(databaseUrl)
      t.after(() => raw.destroy())
      const rnd = random(21)
      const taskIds: number[] = []
      for (let i = 0; i < 4; i++) taskIds.push((await store.tasks.insert(newTask({ name: `task-${i}` }))).id)
      // Summary rows exist before the import (it adds to them), and more runs come after it.
      await workload(store, rnd, taskIds)
      const imported = importedRuns(rnd, taskIds, 2_500)
      assert.equal(await store.transaction((tx) => tx.runs.importMany(imported)), imported.length)
      // Outside a transaction it opens its own.
      assert.equal(await store.runs.importMany(imported.slice(0, 10)), 10)
      await workload(store, rnd, taskIds)

      const rows = await sql<ImportedRow>`SELECT * FROM runs WHERE worker_id = 'import' ORDER BY id`.execute(raw)
      assert.equal(rows.rows.length, imported.length + 10)
      const first = await store.runs.findById(Number(rows.rows[0]!.id))
      assert.deepEqual(first, { id: Number(rows.rows[0]!.id), ...imported[0]! })
      const runs = (await sql<RawRun>`SELECT id, task_id, status, started_at, ended_at FROM runs`.execute(raw)).rows.map(numeric)
      assert.deepEqual(await summaries(raw), rebuild(runs))
      assert.equal(await store.runs.countForTask(taskIds[0]!), runs.filter((r) => r.task_id === taskIds[0]).length)
    })

    it('runs.importMany refuses a live run before writing anything, and a failed import leaves runs, summaries and triggers as they were', async (t) => {
      const { store, databaseUrl } = await openTestStore(t, dialect)
      const raw: Kysely<any> = dialect.name === 'sqlite' ? openSqlite(sqliteFileFromUrl(databaseUrl)) : openPostgres(databaseUrl)
      t.after(() => raw.destroy())
      const rnd = random(5)
      const taskIds = [(await store.tasks.insert(newTask({ name: 'task-0' }))).id]
      await workload(store, rnd, taskIds)
      const before = { runs: await sql`SELECT COUNT(*) AS n FROM runs`.execute(raw), summaries: await summaries(raw) }
      const batch = importedRuns(rnd, taskIds, 50)
      await assert.rejects(
        store.runs.importMany([...batch, { ...batch[0]!, status: 'running', endedAt: null }]),
        /finished runs only; got one with status 'running'/,
      )
      // A run of a task that does not exist fails inside the transaction, after the trigger was switched off.
      await assert.rejects(store.runs.importMany([...batch, { ...batch[0]!, taskId: 999_999 }]))
      assert.deepEqual({ runs: await sql`SELECT COUNT(*) AS n FROM runs`.execute(raw), summaries: await summaries(raw) }, before)
      // The trigger is back: a run ended through update counts.
      await workload(store, rnd, taskIds)
      const runs = (await sql<RawRun>`SELECT id, task_id, status, started_at, ended_at FROM runs`.execute(raw)).rows.map(numeric)
      assert.ok(runs.length > Number((before.runs.rows[0] as { n: number }).n))
      assert.deepEqual(await summaries(raw), rebuild(runs))
    })

    it('are backfilled from the runs that exist when the migration runs', async (t) => {
      const { store, databaseUrl } = await openTestStore(t, dialect)
      const raw: Kysely<any> = dialect.name === 'sqlite' ? openSqlite(sqliteFileFromUrl(databaseUrl)) : openPostgres(databaseUrl)
      t.after(() => raw.destroy())
      const taskIds: number[] = []
      for (let i = 0; i < 3; i++) taskIds.push((await store.tasks.insert(newTask({ name: `task-${i}` }))).id)
      await workload(store, random(7), taskIds)
      const { runSummaries } = await import('../../src/store/migrations/006-run-summaries.ts')
      const migration = runSummaries(dialect.name)
      await migration.down!(raw)
      await migration.up(raw)
      const runs = (await sql<RawRun>`SELECT id, task_id, status, started_at, ended_at FROM runs`.execute(raw)).rows.map(numeric)
      assert.ok(runs.filter((r) => !isActive(r.status)).length > 100)
      assert.deepEqual(await summaries(raw), rebuild(runs))
    })
  })
}

type ImportedRow = Record<string, unknown> & { id: number }

/** Finished runs of every ending, some without a start (cancelled while queued), some without a duration. */
function importedRuns(rnd: () => number, taskIds: number[], count: number): Omit<Run, 'id'>[] {
  const ends: RunStatus[] = ['completed', 'completed', 'failed', 'cancelled', 'abnormal', 'timeout']
  return Array.from({ length: count }, (_, i) => {
    const status = ends[Math.floor(rnd() * ends.length)]!
    const queuedAt = T0 + Math.floor(rnd() * 3 * 24 * HOUR)
    const startedAt = status === 'cancelled' && rnd() < 0.5 ? null : queuedAt + Math.floor(rnd() * 1000)
    return {
      taskId: taskIds[Math.floor(rnd() * taskIds.length)]!,
      status,
      priority: 5,
      trigger: 'schedule',
      queuedAt,
      startedAt,
      endedAt: (startedAt ?? queuedAt) + Math.floor(rnd() * 2 * HOUR),
      exitCode: status === 'completed' ? 0 : status === 'failed' ? 1 : null,
      signal: status === 'abnormal' ? 'SIGKILL' : null,
      pid: 1000 + i,
      workerId: 'import',
      peakRssBytes: 20_000_000 + i,
      avgRssBytes: 10_000_000 + i,
      error: status === 'abnormal' ? 'imported abnormal run' : null,
      outputTruncated: i % 7 === 0,
      pauseReason: null,
      pausedBy: null,
      resumeReason: null,
      resumedBy: null,
      stopReason: null,
      stoppedBy: null,
      attempt: 1,
      firstRunId: null,
      notBefore: null,
      retryOf: null,
      requestedAction: null,
    }
  })
}

function numeric(r: RawRun): RawRun {
  const n = (v: number | null): number | null => (v === null ? null : Number(v))
  return { id: Number(r.id), task_id: Number(r.task_id), status: r.status, started_at: n(r.started_at), ended_at: n(r.ended_at) }
}
