/**
 * Issue 8 (run details): who paused, resumed or stopped a run and why, and the attempt a run is
 * (1 for a first run; a retry links to the run it retries); a task's timeout_seconds. A released migration never changes:
 * a new one follows it.
 */
import type { Kysely, Migration } from 'kysely'
import type { DialectName } from '../store.ts'

const REASON_COLUMNS = ['pause_reason', 'paused_by', 'resume_reason', 'resumed_by', 'stop_reason', 'stopped_by'] as const

export function runDetails(_dialect: DialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      for (const column of REASON_COLUMNS) {
        await db.schema.alterTable('runs').addColumn(column, 'text').execute()
      }
      await db.schema
        .alterTable('runs')
        .addColumn('attempt', 'integer', (col) => col.notNull().defaultTo(1))
        .execute()
      // The first run of a chain of retries; null for a first run. No foreign key: runs leave
      // only with their task, and a chain never spans two tasks.
      await db.schema.alterTable('runs').addColumn('first_run_id', 'bigint').execute()
      await db.schema.alterTable('tasks').addColumn('timeout_seconds', 'integer').execute()
      await db.schema
        .alterTable('tasks')
        .addColumn('interactive', 'boolean', (col) => col.notNull().defaultTo(false))
        .execute()
    },

    async down(db: Kysely<any>) {
      await db.schema.alterTable('tasks').dropColumn('interactive').execute()
      await db.schema.alterTable('tasks').dropColumn('timeout_seconds').execute()
      // One column per statement: SQLite's ALTER TABLE drops one at a time.
      for (const column of ['first_run_id', 'attempt', ...REASON_COLUMNS].reverse()) {
        await db.schema.alterTable('runs').dropColumn(column).execute()
      }
    },
  }
}
