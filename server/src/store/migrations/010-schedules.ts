/**
 * Issue 8 (schedules): per-task time zone and misfire policy, a schedule that can be switched off
 * and described (spec 003's schedule object), its counters, and `schedule_slots`: one row per
 * (task, scheduled time) the scheduler decided about — fired with its run, or skipped with the
 * reason. Its primary key is what makes a scheduled time produce at most one run, whatever
 * process or crash came before. A released migration never changes: a new one follows it.
 */
import { sql, type Kysely, type Migration } from 'kysely'
import type { DialectName } from '../store.ts'

export function schedules(_dialect: DialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      // IANA name; null: the server's TASKYARD_TIME_ZONE.
      await db.schema.alterTable('tasks').addColumn('time_zone', 'text').execute()
      // 'run_once' | 'skip' (domain/task.ts MISFIRE_POLICIES).
      await db.schema
        .alterTable('tasks')
        .addColumn('misfire', 'text', (col) => col.notNull().defaultTo('run_once'))
        .execute()
      // 1 / 0 on both dialects (an integer, not a boolean, so one mapping serves both).
      await db.schema
        .alterTable('tasks')
        .addColumn('schedule_enabled', 'integer', (col) => col.notNull().defaultTo(1))
        .execute()
      await db.schema.alterTable('tasks').addColumn('schedule_description', 'text').execute()
      // How many runs the schedule queued, and the scheduled time of the last one.
      await db.schema
        .alterTable('tasks')
        .addColumn('schedule_runs', 'bigint', (col) => col.notNull().defaultTo(0))
        .execute()
      await db.schema.alterTable('tasks').addColumn('last_scheduled_at', 'bigint').execute()
      // Existing schedules count the runs they queued already.
      await sql`UPDATE tasks SET schedule_runs = (SELECT COUNT(*) FROM runs WHERE runs.task_id = tasks.id AND runs.trigger = 'schedule'),
        last_scheduled_at = (SELECT MAX(queued_at) FROM runs WHERE runs.task_id = tasks.id AND runs.trigger = 'schedule')`.execute(db)

      // The scheduler's two reads (listDue, nextDueAt) skip switched-off schedules through this
      // index; nextDueAt stays a covering MIN. tasks_status_next_run_at keeps serving listUpcoming.
      await db.schema.createIndex('tasks_due').on('tasks').columns(['status', 'schedule_enabled', 'next_run_at']).execute()

      await db.schema
        .createTable('schedule_slots')
        .addColumn('task_id', 'bigint', (col) => col.notNull().references('tasks.id').onDelete('cascade'))
        // The scheduled time (epoch ms), not the moment the scheduler looked at it.
        .addColumn('slot_at', 'bigint', (col) => col.notNull())
        // 'fired' | 'skipped'
        .addColumn('outcome', 'text', (col) => col.notNull())
        // A code of domain/schedule-slot.ts; null for a run on time.
        .addColumn('reason', 'text')
        .addColumn('run_id', 'bigint')
        .addColumn('recorded_at', 'bigint', (col) => col.notNull())
        // The unique key: the same (task, scheduled time) never produces two runs.
        .addPrimaryKeyConstraint('schedule_slots_pkey', ['task_id', 'slot_at'])
        .execute()
    },

    async down(db: Kysely<any>) {
      await db.schema.dropTable('schedule_slots').execute()
      await db.schema.dropIndex('tasks_due').execute()
      for (const column of ['last_scheduled_at', 'schedule_runs', 'schedule_description', 'schedule_enabled', 'misfire', 'time_zone']) {
        await db.schema.alterTable('tasks').dropColumn(column).execute()
      }
    },
  }
}
