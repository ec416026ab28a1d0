/**
 * Run policy (issue 6): the account a task's runs get, its memory limit and log cap, and whether
 * a run's output hit the cap. A released migration never changes: a new one follows it.
 */
import type { Kysely, Migration } from 'kysely'

export function isolation(): Migration {
  return {
    async up(db: Kysely<any>) {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      await db.schema.alterTable('tasks').addColumn('run_as', 'text').execute()
      await db.schema.alterTable('tasks').addColumn('memory_limit_mb', 'integer').execute()
      await db.schema.alterTable('tasks').addColumn('max_log_mb', 'integer').execute()
      await db.schema
        .alterTable('runs')
        .addColumn('output_truncated', 'boolean', (col) => col.notNull().defaultTo(false))
        .execute()
    },

    async down(db: Kysely<any>) {
      await db.schema.alterTable('runs').dropColumn('output_truncated').execute()
      await db.schema.alterTable('tasks').dropColumn('max_log_mb').execute()
      await db.schema.alterTable('tasks').dropColumn('memory_limit_mb').execute()
      await db.schema.alterTable('tasks').dropColumn('run_as').execute()
    },
  }
}
