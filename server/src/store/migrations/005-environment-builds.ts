/**
 * Environment builds (issue 9): each creation, install and removal of packages, with its outcome.
 * The partial unique index is the rule "one build at a time per environment", held by the
 * database itself. A released migration never changes: a new one follows it.
 */
import { sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely'
import type { DialectName } from '../store.ts'

/** 001's identity column, repeated: a migration is a frozen snapshot. */
function identity(dialect: DialectName) {
  return (table: CreateTableBuilder<string, never>): CreateTableBuilder<string, 'id'> =>
    dialect === 'postgres'
      ? table.addColumn('id', 'bigint', (col) => col.primaryKey().generatedByDefaultAsIdentity())
      : // AUTOINCREMENT: a build id names its log file, so it is never handed out twice.
        table.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
}

export function environmentBuilds(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('environment_builds')
        .$call(identity(dialect))
        .addColumn('env_name', 'text', (col) => col.notNull())
        .addColumn('action', 'text', (col) => col.notNull())
        .addColumn('requirements', 'text')
        .addColumn('python_version', 'text')
        .addColumn('started_at', 'bigint', (col) => col.notNull())
        .addColumn('ended_at', 'bigint')
        .addColumn('ok', 'boolean')
        .addColumn('error', 'text')
        .execute()
      // An environment's builds newest first (its latest is its status).
      await db.schema.createIndex('environment_builds_env_name_id').on('environment_builds').columns(['env_name', 'id']).execute()
      // The store turns a violation into TaskyardError('environment_busy'); keep the name.
      await db.schema
        .createIndex('environment_builds_one_in_progress')
        .unique()
        .on('environment_builds')
        .column('env_name')
        .where(sql.ref('ended_at'), 'is', null)
        .execute()
    },

    async down(db: Kysely<any>) {
      await db.schema.dropTable('environment_builds').execute()
    },
  }
}
