/**
 * The queue (issue 8): a task's type and labels, and one row of settings an admin changes at run time. Every claim of a queued
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
        // 'queue': a submit beyond max_workers waits queued; 'refuse': it is refused (spec 003's single-task mode).
        .addColumn('when_busy', 'text', (col) => col.notNull().defaultTo('queue'))
        .addColumn('updated_at', 'bigint')
        .addColumn('updated_by', 'bigint')
        .execute()
      // What a task is, for cancel-by-type and the task list's filters (spec 002).
      await db.schema.alterTable('tasks').addColumn('task_type', 'text').execute()
      // JSON text: an array of strings.
      await db.schema
        .alterTable('tasks')
        .addColumn('labels', 'text', (col) => col.notNull().defaultTo('[]'))
        .execute()
      await db.schema.createIndex('tasks_task_type').on('tasks').column('task_type').execute()
      await db.insertInto('queue_settings').values({ id: 1, max_workers: null, updated_at: null, updated_by: null }).execute()
    },

    async down(db: Kysely<any>) {
      await db.schema.dropIndex('tasks_task_type').execute()
      await db.schema.alterTable('tasks').dropColumn('labels').execute()
      await db.schema.alterTable('tasks').dropColumn('task_type').execute()
      await db.schema.dropTable('queue_settings').execute()
    },
  }
}
