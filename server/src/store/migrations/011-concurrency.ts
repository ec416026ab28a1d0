/**
 * Issue 8 (concurrency): a task's `concurrency` policy, and `runs.holds_lock`, which says whether a
 * run takes its task's lock. The partial unique index `runs_task_lock` is spec 004's lock held by the
 * database: at most one live (queued, running, paused) run that holds the lock per task, whoever
 * inserts it and however many requests race. Runs of `forbid` and `replace` tasks hold it; `queue`
 * and `allow` runs do not (the claim keeps `queue` runs one at a time). A released migration never
 * changes: a new one follows it.
 */
import { sql, type Kysely, type Migration, type SqlBool } from 'kysely'
import type { DialectName } from '../store.ts'

/** The live statuses as literals, as 001 writes them (a partial index's predicate). */
const LIVE = ['queued', 'running', 'paused'] as const

export function concurrency(_dialect: DialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      // 'forbid' | 'queue' | 'allow' | 'replace' (domain/task.ts CONCURRENCY_POLICIES).
      await db.schema
        .alterTable('tasks')
        .addColumn('concurrency', 'text', (col) => col.notNull().defaultTo('forbid'))
        .execute()
      // 1 / 0 on both dialects. New rows get the task's policy from the insert (run-table.ts).
      await db.schema
        .alterTable('runs')
        .addColumn('holds_lock', 'integer', (col) => col.notNull().defaultTo(0))
        .execute()
      // Every task was 'forbid' until now: its newest live run holds the lock (there was at most one).
      await sql`UPDATE runs SET holds_lock = 1 WHERE status IN ('queued', 'running', 'paused')
        AND id = (SELECT MAX(r.id) FROM runs r WHERE r.task_id = runs.task_id AND r.status IN ('queued', 'running', 'paused'))`.execute(db)
      // The store turns a violation into spec 000's refusal of a second run; keep the name.
      await db.schema
        .createIndex('runs_task_lock')
        .unique()
        .on('runs')
        .column('task_id')
        .where(sql<SqlBool>`${sql.ref('holds_lock')} = 1 AND ${sql.ref('status')} IN (${sql.join(LIVE.map((s) => sql.lit(s)))})`)
        .execute()
    },

    async down(db: Kysely<any>) {
      await db.schema.dropIndex('runs_task_lock').execute()
      await db.schema.alterTable('runs').dropColumn('holds_lock').execute()
      await db.schema.alterTable('tasks').dropColumn('concurrency').execute()
    },
  }
}
