/**
 * Issue 8, automatic retries and run control across servers. A task's retry policy; on runs the
 * instant before which a queued run is not claimed (a retry's backoff), the failed run an
 * automatic retry follows (unique: one retry per failed run, whichever server closes it), and an
 * action another server asked of the run's supervisor. A released migration never changes: a new
 * one follows it.
 */
import type { Kysely, Migration } from 'kysely'
import type { DialectName } from '../store.ts'

export function retries(_dialect: DialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('tasks')
        .addColumn('max_retries', 'integer', (col) => col.notNull().defaultTo(0))
        .execute()
      await db.schema
        .alterTable('tasks')
        .addColumn('retry_backoff_seconds', 'integer', (col) => col.notNull().defaultTo(10))
        .execute()
      await db.schema
        .alterTable('tasks')
        .addColumn('retry_max_backoff_seconds', 'integer', (col) => col.notNull().defaultTo(3600))
        .execute()
      // null: claimable as soon as it is queued (every run before this migration).
      await db.schema.alterTable('runs').addColumn('not_before', 'bigint').execute()
      // No foreign key, as first_run_id: runs leave only with their task.
      await db.schema.alterTable('runs').addColumn('retry_of', 'bigint').execute()
      // NULLs never collide on either dialect: only automatic retries carry it.
      await db.schema.createIndex('runs_retry_of_unique').on('runs').column('retry_of').unique().execute()
      // 'stop' | 'pause' | 'resume', written by a server that does not supervise the run.
      await db.schema.alterTable('runs').addColumn('requested_action', 'text').execute()
    },

    async down(db: Kysely<any>) {
      await db.schema.alterTable('runs').dropColumn('requested_action').execute()
      await db.schema.dropIndex('runs_retry_of_unique').execute()
      for (const column of ['retry_of', 'not_before']) await db.schema.alterTable('runs').dropColumn(column).execute()
      for (const column of ['retry_max_backoff_seconds', 'retry_backoff_seconds', 'max_retries']) {
        await db.schema.alterTable('tasks').dropColumn(column).execute()
      }
    },
  }
}
