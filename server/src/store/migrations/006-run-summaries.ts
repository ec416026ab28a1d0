/**
 * Issue 10: statistics from summaries, not from a scan of every run. Two tables hold what the
 * finished runs (every status but queued/running/paused) add up to:
 * - run_totals, one row per (task, status): how many runs, how many of them have a duration
 *   (started and ended), and the sum, min and max of those durations;
 * - run_buckets, one row per (quarter hour, status): how many runs started, and how many ended,
 *   in it. A quarter hour, not a local day: every time zone's midnight falls on one, so the days
 *   of any zone are sums of buckets, and the 24-hour charts' hours are too.
 * Triggers on runs keep them: a run's row contributes once it is finished, so the statement that
 * ends a run updates its summaries in the same transaction, whoever writes it. Active runs are
 * few and counted live. Runs are deleted only with their task (tasks.delete), which takes them
 * out in bulk first (tables/run-summaries.ts: grouped bucket updates, the task's totals deleted):
 * a per-row delete trigger cost ~3x the cascade itself (2.4 s against 0.8 s for 50,000 runs).
 * Existing runs are backfilled here.
 * A released migration never changes.
 */
import { sql, type Kysely, type Migration, type RawBuilder } from 'kysely'
import type { DialectName } from '../store.ts'

/** The run statuses that hold a task's lock, as of this migration. */
const ACTIVE = sql.raw(`('queued', 'running', 'paused')`)
export const BUCKET_MS = 900_000
const Q = sql.lit(BUCKET_MS)

const TABLES: RawBuilder<unknown>[] = [
  sql`CREATE TABLE run_totals (
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    status text NOT NULL,
    runs bigint NOT NULL,
    timed bigint NOT NULL,
    sum_ms bigint NOT NULL,
    min_ms bigint,
    max_ms bigint,
    PRIMARY KEY (task_id, status)
  )`,
  sql`CREATE TABLE run_buckets (
    at bigint NOT NULL,
    status text NOT NULL,
    started bigint NOT NULL,
    ended bigint NOT NULL,
    PRIMARY KEY (at, status)
  )`,
]

const BACKFILL: RawBuilder<unknown>[] = [
  sql`INSERT INTO run_totals (task_id, status, runs, timed, sum_ms, min_ms, max_ms)
    SELECT task_id, status, COUNT(*), COUNT(ended_at - started_at), COALESCE(SUM(ended_at - started_at), 0),
      MIN(ended_at - started_at), MAX(ended_at - started_at)
    FROM runs WHERE status NOT IN ${ACTIVE} GROUP BY task_id, status`,
  sql`INSERT INTO run_buckets (at, status, started, ended)
    SELECT at, status, SUM(started), SUM(ended) FROM (
      SELECT started_at - started_at % ${Q} AS at, status, 1 AS started, 0 AS ended FROM runs
        WHERE started_at IS NOT NULL AND status NOT IN ${ACTIVE}
      UNION ALL
      SELECT ended_at - ended_at % ${Q} AS at, status, 0 AS started, 1 AS ended FROM runs
        WHERE ended_at IS NOT NULL AND status NOT IN ${ACTIVE}
    ) AS contributions GROUP BY at, status`,
]

/**
 * The statements that take a finished row out of the summaries (`r` is OLD, when a finished run
 * is rewritten) or put one in (`r` is NEW), as SQLite trigger statements: each guards itself, since a trigger body has no IF. A
 * removed duration that was the min or max is recomputed from the task's remaining runs.
 */
function sqliteRemove(r: 'OLD'): string {
  const d = `(${r}.ended_at - ${r}.started_at)`
  const finished = `${r}.status NOT IN ('queued', 'running', 'paused')`
  const remaining = `(SELECT %s(ended_at - started_at) FROM runs WHERE task_id = ${r}.task_id AND status = ${r}.status)`
  return `
    UPDATE run_totals SET runs = runs - 1, timed = timed - (${d} IS NOT NULL), sum_ms = sum_ms - COALESCE(${d}, 0),
      min_ms = CASE WHEN ${d} <= min_ms THEN ${remaining.replace('%s', 'MIN')} ELSE min_ms END,
      max_ms = CASE WHEN ${d} >= max_ms THEN ${remaining.replace('%s', 'MAX')} ELSE max_ms END
      WHERE ${finished} AND task_id = ${r}.task_id AND status = ${r}.status;
    UPDATE run_buckets SET started = started - 1
      WHERE ${finished} AND ${r}.started_at IS NOT NULL AND at = ${r}.started_at - ${r}.started_at % ${BUCKET_MS} AND status = ${r}.status;
    UPDATE run_buckets SET ended = ended - 1
      WHERE ${finished} AND ${r}.ended_at IS NOT NULL AND at = ${r}.ended_at - ${r}.ended_at % ${BUCKET_MS} AND status = ${r}.status;`
}

function sqliteAdd(r: 'NEW'): string {
  const d = `(${r}.ended_at - ${r}.started_at)`
  const finished = `${r}.status NOT IN ('queued', 'running', 'paused')`
  return `
    INSERT INTO run_totals (task_id, status, runs, timed, sum_ms, min_ms, max_ms)
      SELECT ${r}.task_id, ${r}.status, 1, ${d} IS NOT NULL, COALESCE(${d}, 0), ${d}, ${d} WHERE ${finished}
      ON CONFLICT (task_id, status) DO UPDATE SET runs = runs + 1, timed = timed + excluded.timed, sum_ms = sum_ms + excluded.sum_ms,
        min_ms = CASE WHEN min_ms IS NULL OR excluded.min_ms < min_ms THEN excluded.min_ms ELSE min_ms END,
        max_ms = CASE WHEN max_ms IS NULL OR excluded.max_ms > max_ms THEN excluded.max_ms ELSE max_ms END;
    INSERT INTO run_buckets (at, status, started, ended)
      SELECT ${r}.started_at - ${r}.started_at % ${BUCKET_MS}, ${r}.status, 1, 0 WHERE ${finished} AND ${r}.started_at IS NOT NULL
      ON CONFLICT (at, status) DO UPDATE SET started = started + 1;
    INSERT INTO run_buckets (at, status, started, ended)
      SELECT ${r}.ended_at - ${r}.ended_at % ${BUCKET_MS}, ${r}.status, 0, 1 WHERE ${finished} AND ${r}.ended_at IS NOT NULL
      ON CONFLICT (at, status) DO UPDATE SET ended = ended + 1;`
}

/** A change that matters: a finished row on either side, and a summarised column changed. */
const SQLITE_UPDATE_WHEN = `(OLD.status NOT IN ('queued', 'running', 'paused') OR NEW.status NOT IN ('queued', 'running', 'paused'))
  AND (OLD.status IS NOT NEW.status OR OLD.started_at IS NOT NEW.started_at OR OLD.ended_at IS NOT NEW.ended_at)`

const SQLITE_TRIGGERS: RawBuilder<unknown>[] = [
  sql.raw(`CREATE TRIGGER runs_summary_insert AFTER INSERT ON runs WHEN NEW.status NOT IN ('queued', 'running', 'paused')
    BEGIN ${sqliteAdd('NEW')} END`),
  sql.raw(`CREATE TRIGGER runs_summary_update AFTER UPDATE OF status, started_at, ended_at ON runs WHEN ${SQLITE_UPDATE_WHEN}
    BEGIN ${sqliteRemove('OLD')} ${sqliteAdd('NEW')} END`),
]

const PG_TRIGGERS: RawBuilder<unknown>[] = [
  sql.raw(`CREATE FUNCTION run_summary_remove(t bigint, s text, st bigint, en bigint) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE d bigint := en - st;
    BEGIN
      IF s IN ('queued', 'running', 'paused') THEN RETURN; END IF;
      UPDATE run_totals SET runs = runs - 1, timed = timed - (CASE WHEN d IS NULL THEN 0 ELSE 1 END), sum_ms = sum_ms - COALESCE(d, 0),
        min_ms = CASE WHEN d <= min_ms THEN (SELECT MIN(ended_at - started_at) FROM runs WHERE task_id = t AND status = s) ELSE min_ms END,
        max_ms = CASE WHEN d >= max_ms THEN (SELECT MAX(ended_at - started_at) FROM runs WHERE task_id = t AND status = s) ELSE max_ms END
        WHERE task_id = t AND status = s;
      IF st IS NOT NULL THEN
        UPDATE run_buckets SET started = started - 1 WHERE at = st - st % ${BUCKET_MS} AND status = s;
      END IF;
      IF en IS NOT NULL THEN
        UPDATE run_buckets SET ended = ended - 1 WHERE at = en - en % ${BUCKET_MS} AND status = s;
      END IF;
    END $$`),
  sql.raw(`CREATE FUNCTION run_summary_add(t bigint, s text, st bigint, en bigint) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE d bigint := en - st;
    BEGIN
      IF s IN ('queued', 'running', 'paused') THEN RETURN; END IF;
      INSERT INTO run_totals AS r (task_id, status, runs, timed, sum_ms, min_ms, max_ms)
        VALUES (t, s, 1, CASE WHEN d IS NULL THEN 0 ELSE 1 END, COALESCE(d, 0), d, d)
        ON CONFLICT (task_id, status) DO UPDATE SET runs = r.runs + 1, timed = r.timed + excluded.timed,
          sum_ms = r.sum_ms + excluded.sum_ms, min_ms = LEAST(r.min_ms, excluded.min_ms), max_ms = GREATEST(r.max_ms, excluded.max_ms);
      IF st IS NOT NULL THEN
        INSERT INTO run_buckets AS b (at, status, started, ended) VALUES (st - st % ${BUCKET_MS}, s, 1, 0)
          ON CONFLICT (at, status) DO UPDATE SET started = b.started + 1;
      END IF;
      IF en IS NOT NULL THEN
        INSERT INTO run_buckets AS b (at, status, started, ended) VALUES (en - en % ${BUCKET_MS}, s, 0, 1)
          ON CONFLICT (at, status) DO UPDATE SET ended = b.ended + 1;
      END IF;
    END $$`),
  sql.raw(`CREATE FUNCTION runs_summary() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' THEN
        PERFORM run_summary_remove(OLD.task_id, OLD.status, OLD.started_at, OLD.ended_at);
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM run_summary_add(NEW.task_id, NEW.status, NEW.started_at, NEW.ended_at);
      END IF;
      RETURN NULL;
    END $$`),
  sql.raw(`CREATE TRIGGER runs_summary_insert AFTER INSERT ON runs FOR EACH ROW
    WHEN (NEW.status NOT IN ('queued', 'running', 'paused')) EXECUTE FUNCTION runs_summary()`),
  sql.raw(`CREATE TRIGGER runs_summary_update AFTER UPDATE OF status, started_at, ended_at ON runs FOR EACH ROW
    WHEN ((OLD.status NOT IN ('queued', 'running', 'paused') OR NEW.status NOT IN ('queued', 'running', 'paused'))
      AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.started_at IS DISTINCT FROM NEW.started_at OR OLD.ended_at IS DISTINCT FROM NEW.ended_at))
    EXECUTE FUNCTION runs_summary()`),
]

/**
 * History (newest start first, ties by id) reads this index in order and stops at its limit;
 * runs_started_at (started_at, status) made both planners sort every run since `since`.
 */
const HISTORY_INDEX = sql`CREATE INDEX runs_started_at_id ON runs (started_at, id)`

export function runSummaries(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      for (const statement of [...TABLES, ...BACKFILL, ...(dialect === 'postgres' ? PG_TRIGGERS : SQLITE_TRIGGERS), HISTORY_INDEX]) {
        await statement.execute(db)
      }
    },

    async down(db: Kysely<any>) {
      await sql`DROP INDEX runs_started_at_id`.execute(db)
      for (const name of ['runs_summary_insert', 'runs_summary_update']) {
        await sql.raw(dialect === 'postgres' ? `DROP TRIGGER ${name} ON runs` : `DROP TRIGGER ${name}`).execute(db)
      }
      if (dialect === 'postgres') {
        await sql`DROP FUNCTION runs_summary()`.execute(db)
        await sql`DROP FUNCTION run_summary_add(bigint, text, bigint, bigint)`.execute(db)
        await sql`DROP FUNCTION run_summary_remove(bigint, text, bigint, bigint)`.execute(db)
      }
      await db.schema.dropTable('run_buckets').execute()
      await db.schema.dropTable('run_totals').execute()
    },
  }
}
