/**
 * Accounts (issue 3): users, login sessions, API tokens and the audit log. Instants are epoch ms
 * in bigint columns, as in 001. A released migration never changes: a new one follows it.
 */
import { type CreateTableBuilder, type Kysely, type Migration } from 'kysely'
import type { DialectName } from '../store.ts'

/**
 * 001's identity column, repeated rather than imported: a migration is a frozen snapshot, and a
 * shared helper edited for a later migration would silently change what this one creates.
 */
function identity(dialect: DialectName) {
  return (table: CreateTableBuilder<string, never>): CreateTableBuilder<string, 'id'> =>
    dialect === 'postgres'
      ? table.addColumn('id', 'bigint', (col) => col.primaryKey().generatedByDefaultAsIdentity())
      : // AUTOINCREMENT: a user id is never handed out twice. tasks.owner_id holds user ids
        // without a foreign key (001), so a reused id would give a new user someone else's tasks.
        table.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
}

export function auth(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('users')
        .$call(identity(dialect))
        .addColumn('username', 'text', (col) => col.notNull())
        .addColumn('password_hash', 'text', (col) => col.notNull())
        .addColumn('role', 'text', (col) => col.notNull())
        .addColumn('disabled', 'boolean', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .addColumn('credentials_changed_at', 'bigint', (col) => col.notNull())
        .execute()
      // The store turns a violation of this index into TaskyardError('name_taken'); keep the name.
      await db.schema.createIndex('users_username_unique').unique().on('users').column('username').execute()

      await db.schema
        .createTable('sessions')
        // The SHA-256 of the cookie value, never the value itself.
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('user_id', 'bigint', (col) => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .addColumn('last_seen_at', 'bigint', (col) => col.notNull())
        .execute()
      // Ending a user's sessions (and the cascade from users); pruning expired ones.
      await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute()
      await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute()

      await db.schema
        .createTable('api_tokens')
        .$call(identity(dialect))
        .addColumn('user_id', 'bigint', (col) => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('token_hash', 'text', (col) => col.notNull())
        .addColumn('prefix', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('last_used_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .addColumn('expires_at', 'bigint')
        .execute()
      // Every bearer API token request looks its hash up here.
      await db.schema.createIndex('api_tokens_token_hash_unique').unique().on('api_tokens').column('token_hash').execute()
      await db.schema.createIndex('api_tokens_user_id').on('api_tokens').columns(['user_id', 'id']).execute()

      await db.schema
        .createTable('audit_log')
        .$call(identity(dialect))
        .addColumn('at', 'bigint', (col) => col.notNull())
        // No foreign key: an entry must outlive its actor, so the username is copied beside the id.
        .addColumn('actor_user_id', 'bigint')
        .addColumn('actor_username', 'text')
        .addColumn('action', 'text', (col) => col.notNull())
        .addColumn('target_type', 'text')
        .addColumn('target_id', 'text')
        .addColumn('details', 'text')
        .addColumn('ip', 'text')
        .execute()
      // Time-range reads and retention pruning.
      await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute()
    },

    async down(db: Kysely<any>) {
      await db.schema.dropTable('audit_log').execute()
      await db.schema.dropTable('api_tokens').execute()
      await db.schema.dropTable('sessions').execute()
      await db.schema.dropTable('users').execute()
    },
  }
}
