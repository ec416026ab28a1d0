/**
 * The first schema. One definition for both dialects; only the identity column differs.
 * Instants are epoch ms in bigint columns (INTEGER affinity on SQLite). A released migration
 * never changes: a new one follows it.
 */
import { sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely'
import type { DialectName } from '../store.ts'

/** The run statuses that hold a task's lock, as of this migration. */
const ACTIVE = ['queued', 'running', 'paused'] as const

function identity(dialect: DialectName) {
  return (table: CreateTableBuilder<string, never>): CreateTableBuilder<string, 'id'> =>
    dialect === 'postgres'
      ? table.addColumn('id', 'bigint', (col) => col.primaryKey().generatedByDefaultAsIdentity())
      : // AUTOINCREMENT: an id is never handed out twice, even after its row is deleted, so
        // nothing keyed by a deleted run's id (its log file) can be mistaken for a new run's.
        table.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
}

export function initial(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('tasks')
        .$call(identity(dialect))
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('source', 'text', (col) => col.notNull())
        .addColumn('script_file', 'text', (col) => col.notNull())
        .addColumn('command', 'text', (col) => col.notNull())
        .addColumn('conda_env', 'text', (col) => col.notNull())
        .addColumn('requirements', 'text')
        .addColumn('cron_expression', 'text')
        .addColumn('delay_seconds', 'integer')
        .addColumn('priority', 'integer', (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .addColumn('next_run_at', 'bigint')
        .addColumn('last_run_at', 'bigint')
        .addColumn('last_run_duration_ms', 'bigint')
        // No foreign keys: runs already reference tasks (a cycle would complicate deletes), and
        // users do not live in this schema yet.
        .addColumn('last_run_id', 'bigint')
        .addColumn('owner_id', 'bigint')
        .execute()
      // The store turns a violation of this index into TaskyardError('name_taken'); keep the name.
      await db.schema.createIndex('tasks_name_unique').unique().on('tasks').column('name').execute()
      await db.schema.createIndex('tasks_status_next_run_at').on('tasks').columns(['status', 'next_run_at']).execute()

      await db.schema
        .createTable('runs')
        .$call(identity(dialect))
        .addColumn('task_id', 'bigint', (col) => col.notNull().references('tasks.id').onDelete('cascade'))
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('priority', 'integer', (col) => col.notNull())
        .addColumn('trigger', 'text', (col) => col.notNull())
        .addColumn('queued_at', 'bigint', (col) => col.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('ended_at', 'bigint')
        .addColumn('exit_code', 'integer')
        .addColumn('signal', 'text')
        .addColumn('pid', 'integer')
        .addColumn('worker_id', 'text')
        .addColumn('peak_rss_bytes', 'bigint')
        .addColumn('avg_rss_bytes', 'bigint')
        .addColumn('error', 'text')
        .execute()
      // The claim query's WHERE and ORDER BY, in order: the next run is the index's first entry.
      await db.schema.createIndex('runs_claim').on('runs').columns(['status', 'priority', 'queued_at', 'id']).execute()
      // A task's runs newest first; also serves the cascade from tasks.
      await db.schema.createIndex('runs_task_id_id').on('runs').columns(['task_id', 'id']).execute()
      // A task's active run, found without reading its finished ones. Partial, so it stays as
      // small as the queue. SQLite uses it only for a query with this very predicate, literals
      // included: run-table.ts writes ACTIVE the same way.
      await db.schema
        .createIndex('runs_active')
        .on('runs')
        .column('task_id')
        .where(
          sql.ref('status'),
          'in',
          ACTIVE.map((s) => sql.lit(s)),
        )
        .execute()
      // The statistics read only these indexes, never the table: counts per time range (by
      // status), history by start time, durations (ended_at - started_at).
      await db.schema.createIndex('runs_started_at').on('runs').columns(['started_at', 'status']).execute()
      await db.schema.createIndex('runs_ended_at').on('runs').columns(['ended_at', 'started_at', 'status']).execute()

      await db.schema
        .createTable('system_samples')
        .$call(identity(dialect))
        .addColumn('at', 'bigint', (col) => col.notNull())
        .addColumn('memory_used_bytes', 'bigint', (col) => col.notNull())
        .addColumn('memory_total_bytes', 'bigint', (col) => col.notNull())
        .addColumn('cpu_percent', 'double precision', (col) => col.notNull())
        .execute()
      // Covering: averages per time range read the index alone.
      await db.schema.createIndex('system_samples_at').on('system_samples').columns(['at', 'memory_used_bytes']).execute()
    },

    async down(db: Kysely<any>) {
      await db.schema.dropTable('system_samples').execute()
      await db.schema.dropTable('runs').execute()
      await db.schema.dropTable('tasks').execute()
    },
  }
}
