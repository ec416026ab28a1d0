/**
 * Registered servers (issue 12): SSH targets with a sealed secret (AES-GCM, never clear text),
 * the operators an admin allowed on each, and which server a task runs on. A released migration
 * never changes: a new one follows it.
 */
import type { CreateTableBuilder, Kysely, Migration } from 'kysely'
import type { DialectName } from '../store.ts'

/** 002's identity column, repeated: a migration is a frozen snapshot. */
function identity(dialect: DialectName) {
  return (table: CreateTableBuilder<string, never>): CreateTableBuilder<string, 'id'> =>
    dialect === 'postgres'
      ? table.addColumn('id', 'bigint', (col) => col.primaryKey().generatedByDefaultAsIdentity())
      : // AUTOINCREMENT: a server id is never handed out twice, so a task never lands on a successor.
        table.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
}

export function servers(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('servers')
        .$call(identity(dialect))
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('host', 'text', (col) => col.notNull())
        .addColumn('port', 'integer', (col) => col.notNull())
        .addColumn('username', 'text', (col) => col.notNull())
        .addColumn('auth_method', 'text', (col) => col.notNull())
        // `v1.<iv>.<tag>.<ciphertext>` (base64url), AES-256-GCM: the clear secret is never stored.
        .addColumn('sealed_secret', 'text', (col) => col.notNull())
        // JSON arrays of strings / user ids.
        .addColumn('labels', 'text', (col) => col.notNull())
        .addColumn('description', 'text', (col) => col.notNull())
        .addColumn('host_key_fingerprint', 'text')
        .addColumn('offered_host_key_fingerprint', 'text')
        .addColumn('operator_ids', 'text', (col) => col.notNull())
        .addColumn('created_by', 'bigint')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .execute()
      // The store turns a violation of this index into TaskyardError('server_exists'); keep the name.
      await db.schema.createIndex('servers_name_unique').unique().on('servers').column('name').execute()

      // Which server a task runs on; no row: the Taskyard machine itself. A task row's deletion takes its link along.
      await db.schema
        .createTable('task_servers')
        .addColumn('task_id', 'bigint', (col) => col.primaryKey().references('tasks.id').onDelete('cascade'))
        .addColumn('server_id', 'bigint', (col) => col.notNull().references('servers.id').onDelete('cascade'))
        .execute()
      await db.schema.createIndex('task_servers_server_id').on('task_servers').column('server_id').execute()
    },

    async down(db: Kysely<any>) {
      await db.schema.dropTable('task_servers').execute()
      await db.schema.dropTable('servers').execute()
    },
  }
}
