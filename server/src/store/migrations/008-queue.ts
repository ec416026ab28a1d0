/**
 * The queue (issue 8): one row of settings an admin changes at run time. Every claim of a queued
 * run locks this row, so servers sharing the database take turns and never together exceed
 * max_workers. A released migration never changes: a new one follows it.
 */
import { sql, type Kysely, type Migration } from 'kysely'

export function queue(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('queue_settings')
        // Always 1: the check keeps it a single row, so there is exactly one thing to lock.
        .addColumn('id', 'integer', (col) => col.primaryKey().check(sql`id = 1`))
        // null: TASKYARD_MAX_WORKERS of the server that claims.
        .addColumn('max_workers', 'integer')
        .addColumn('updated_at', 'bigint')
        .addColumn('updated_by', 'bigint')
        .execute()
      await db.insertInto('queue_settings').values({ id: 1, max_workers: null, updated_at: null, updated_by: null }).execute()
    },

    async down(db: Kysely<any>) {
      await db.schema.dropTable('queue_settings').execute()
    },
  }
}
