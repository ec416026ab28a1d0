/**
 * The part of the run summaries (migration 006) that is not a trigger: taking a task's finished
 * runs out of them all at once, before the task and its runs are deleted (runs leave the
 * database only that way). Two grouped updates of the buckets and one delete of the task's
 * totals; a per-row delete trigger cost three times the cascade itself.
 */
import { sql, type Kysely } from 'kysely'
import type { Database } from '../database.ts'
import { BUCKET_MS } from '../migrations/006-run-summaries.ts'

const ACTIVE = sql.raw(`('queued', 'running', 'paused')`)

export async function forgetTaskRuns(db: Kysely<Database>, taskId: number): Promise<void> {
  for (const [column, counter] of [
    ['started_at', 'started'],
    ['ended_at', 'ended'],
  ] as const) {
    const time = sql.ref(column)
    await sql`UPDATE run_buckets SET ${sql.ref(counter)} = ${sql.ref(`run_buckets.${counter}`)} - gone.n
      FROM (
        SELECT ${time} - ${time} % ${sql.lit(BUCKET_MS)} AS at, status, COUNT(*) AS n FROM runs
        WHERE task_id = ${taskId} AND status NOT IN ${ACTIVE} AND ${time} IS NOT NULL
        GROUP BY 1, 2
      ) AS gone
      WHERE run_buckets.at = gone.at AND run_buckets.status = gone.status`.execute(db)
  }
  await db.deleteFrom('run_totals').where('task_id', '=', taskId).execute()
}
