/**
 * runs.importMany: finished runs written in bulk (seeding a benchmark, bringing in another tool's
 * history), with the run summaries (migration 006) added set-wise in the same transaction.
 *
 * Migration 006's insert trigger adds each finished row to its summaries one row at a time: three
 * upserts per run, and on PostgreSQL a PL/pgSQL call each, on the same few summary rows (a task's
 * totals, a quarter hour's buckets) again and again; at a million runs that was the slow part.
 * Here the trigger is switched off for the transaction only (PostgreSQL: `ALTER TABLE … DISABLE
 * TRIGGER`, which holds a SHARE ROW EXCLUSIVE lock on runs until commit, so no other writer can
 * insert a run meanwhile and miss its summary; SQLite: the trigger is dropped and re-created from
 * its own stored text, with the database's one write lock held). Both are transactional: an
 * error anywhere rolls the rows, the summaries and the trigger back together.
 * The summaries of the rows are added up here and upserted as a few multi-row statements.
 */
import { sql, type Kysely } from 'kysely'
import { isActive, type Run } from '../../domain/run.ts'
import type { Database } from '../database.ts'
import { BUCKET_MS } from '../migrations/006-run-summaries.ts'
import { toRow } from '../row-mapping.ts'
import type { DialectName } from '../store.ts'
import { RUN_PATCH_FIELDS } from './run-row.ts'

/** A finished run to import: everything but its id. */
export type ImportedRun = Omit<Run, 'id'>

const FIELDS: Record<keyof ImportedRun, true> = { taskId: true, ...RUN_PATCH_FIELDS }

/** 27 columns a row: 1,000 rows stay inside SQLite's 32,766 bound parameters (PostgreSQL: 65,535). */
const ROWS_PER_STATEMENT = 1_000
const SUMMARY_ROWS_PER_STATEMENT = 1_000
const PG_ROWS_PER_STATEMENT = 10_000
const INSERT_TRIGGER = 'runs_summary_insert'

interface Totals {
  taskId: number
  status: string
  runs: number
  timed: number
  sumMs: number
  minMs: number | null
  maxMs: number | null
}

interface Bucket {
  at: number
  status: string
  started: number
  ended: number
}

/** Imports `runs` (every one finished) in one transaction; returns how many were written. */
export async function importRuns(db: Kysely<Database>, dialect: DialectName, runs: readonly ImportedRun[]): Promise<number> {
  const live = runs.find((run) => isActive(run.status))
  if (live) throw new Error(`runs.importMany takes finished runs only; got one with status '${live.status}'`)
  if (runs.length === 0) return 0
  if (!db.isTransaction) return db.transaction().execute((trx) => importRuns(trx, dialect, runs))

  const restore = await suspendInsertTrigger(db, dialect)
  if (dialect === 'postgres') {
    for (let i = 0; i < runs.length; i += PG_ROWS_PER_STATEMENT) await insertUnnest(db, runs.slice(i, i + PG_ROWS_PER_STATEMENT))
  } else {
    for (let i = 0; i < runs.length; i += ROWS_PER_STATEMENT) {
      const values = runs.slice(i, i + ROWS_PER_STATEMENT).map((run) => ({ ...toRow(run, FIELDS), holds_lock: 0 }))
      await db.insertInto('runs').values(values).execute()
    }
  }
  const { totals, buckets } = summarise(runs)
  for (let i = 0; i < totals.length; i += SUMMARY_ROWS_PER_STATEMENT) {
    const rows = totals.slice(i, i + SUMMARY_ROWS_PER_STATEMENT).map((t) => ({
      task_id: t.taskId,
      status: t.status,
      runs: t.runs,
      timed: t.timed,
      sum_ms: t.sumMs,
      min_ms: t.minMs,
      max_ms: t.maxMs,
    }))
    await db
      .insertInto('run_totals')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['task_id', 'status']).doUpdateSet({
          runs: sql`run_totals.runs + excluded.runs`,
          timed: sql`run_totals.timed + excluded.timed`,
          sum_ms: sql`run_totals.sum_ms + excluded.sum_ms`,
          min_ms: sql`CASE WHEN run_totals.min_ms IS NULL OR excluded.min_ms < run_totals.min_ms THEN excluded.min_ms ELSE run_totals.min_ms END`,
          max_ms: sql`CASE WHEN run_totals.max_ms IS NULL OR excluded.max_ms > run_totals.max_ms THEN excluded.max_ms ELSE run_totals.max_ms END`,
        }),
      )
      .execute()
  }
  for (let i = 0; i < buckets.length; i += SUMMARY_ROWS_PER_STATEMENT) {
    await db
      .insertInto('run_buckets')
      .values(buckets.slice(i, i + SUMMARY_ROWS_PER_STATEMENT))
      .onConflict((oc) =>
        oc.columns(['at', 'status']).doUpdateSet({
          started: sql`run_buckets.started + excluded.started`,
          ended: sql`run_buckets.ended + excluded.ended`,
        }),
      )
      .execute()
  }
  await restore()
  return runs.length
}

/** The runs table's column types on PostgreSQL (migrations 001–013), for unnest's typed arrays. */
const PG_TYPES: Record<keyof ImportedRun, string> = {
  taskId: 'bigint',
  status: 'text',
  priority: 'integer',
  trigger: 'text',
  queuedAt: 'bigint',
  startedAt: 'bigint',
  endedAt: 'bigint',
  exitCode: 'integer',
  signal: 'text',
  pid: 'integer',
  workerId: 'text',
  peakRssBytes: 'bigint',
  avgRssBytes: 'bigint',
  error: 'text',
  outputTruncated: 'boolean',
  pauseReason: 'text',
  pausedBy: 'text',
  resumeReason: 'text',
  resumedBy: 'text',
  stopReason: 'text',
  stoppedBy: 'text',
  attempt: 'integer',
  firstRunId: 'bigint',
  notBefore: 'bigint',
  retryOf: 'bigint',
  requestedAction: 'text',
}
const PG_KEYS = Object.keys(PG_TYPES) as (keyof ImportedRun)[]

/**
 * PostgreSQL: one array parameter per column, `INSERT … SELECT * FROM unnest(…)`. 27,000 scalar
 * parameters a statement cost the client (pg's per-parameter preparation) ~20x more than 27 arrays.
 */
async function insertUnnest(db: Kysely<Database>, runs: readonly ImportedRun[]): Promise<void> {
  const columns = PG_KEYS.map((key) => sql.ref(key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)))
  const arrays = PG_KEYS.map((key) => sql`${runs.map((run) => run[key])}::${sql.raw(PG_TYPES[key])}[]`)
  await sql`INSERT INTO runs (${sql.join(columns)}, holds_lock) SELECT *, 0 FROM unnest(${sql.join(arrays)})`.execute(db)
}

/** What the runs add to run_totals and run_buckets, as the triggers would have added it row by row. */
function summarise(runs: readonly ImportedRun[]): { totals: Totals[]; buckets: Bucket[] } {
  const totals = new Map<string, Totals>()
  const buckets = new Map<string, Bucket>()
  const bucket = (time: number, status: string): Bucket => {
    const at = time - (time % BUCKET_MS)
    const key = `${at} ${status}`
    let b = buckets.get(key)
    if (!b) buckets.set(key, (b = { at, status, started: 0, ended: 0 }))
    return b
  }
  for (const run of runs) {
    const key = `${run.taskId} ${run.status}`
    let t = totals.get(key)
    if (!t) totals.set(key, (t = { taskId: run.taskId, status: run.status, runs: 0, timed: 0, sumMs: 0, minMs: null, maxMs: null }))
    t.runs += 1
    if (run.startedAt != null && run.endedAt != null) {
      const d = run.endedAt - run.startedAt
      t.timed += 1
      t.sumMs += d
      t.minMs = t.minMs === null || d < t.minMs ? d : t.minMs
      t.maxMs = t.maxMs === null || d > t.maxMs ? d : t.maxMs
    }
    if (run.startedAt != null) bucket(run.startedAt, run.status).started += 1
    if (run.endedAt != null) bucket(run.endedAt, run.status).ended += 1
  }
  return { totals: [...totals.values()], buckets: [...buckets.values()] }
}

/** Switches the per-row insert trigger off inside the transaction; the function switches it back on. */
async function suspendInsertTrigger(db: Kysely<Database>, dialect: DialectName): Promise<() => Promise<void>> {
  if (dialect === 'postgres') {
    await sql.raw(`ALTER TABLE runs DISABLE TRIGGER ${INSERT_TRIGGER}`).execute(db)
    return async () => {
      await sql.raw(`ALTER TABLE runs ENABLE TRIGGER ${INSERT_TRIGGER}`).execute(db)
    }
  }
  const stored = await sql<{ sql: string }>`SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ${INSERT_TRIGGER}`.execute(db)
  const definition = stored.rows[0]?.sql
  if (!definition) throw new Error(`SQLite trigger ${INSERT_TRIGGER} (migration 006) is missing`)
  await sql.raw(`DROP TRIGGER ${INSERT_TRIGGER}`).execute(db)
  return async () => {
    await sql.raw(definition).execute(db)
  }
}
