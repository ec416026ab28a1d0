/** Migration 003 (issue 6) on a database that already holds tasks and runs, on both dialects. */
import assert from 'node:assert/strict'
import { Migrator, sql, type Kysely } from 'kysely'
import { describe, it } from 'node:test'
import { migrateToLatest, migrations } from '../../src/store/migrations/migrate-to-latest.ts'
import { openPostgres } from '../../src/store/postgres.ts'
import { openSqlite, sqliteFileFromUrl } from '../../src/store/sqlite.ts'
import { kyselyStore } from '../../src/store/kysely-store.ts'
import { testDialects } from '../helpers/test-dialects.ts'

for (const dialect of testDialects()) {
  describe(`${dialect.name}: migration 003-isolation`, { skip: dialect.skip }, () => {
    it('adds run_as, memory_limit_mb, max_log_mb (null) and output_truncated (false) to rows written before it (down, rows, up again)', async (t) => {
      const opened = await dialect.open()
      t.after(() => opened.cleanup())
      const db: Kysely<any> = dialect.name === 'sqlite' ? openSqlite(sqliteFileFromUrl(opened.databaseUrl)) : openPostgres(opened.databaseUrl)
      t.after(() => db.destroy())
      const migrator = new Migrator({
        db,
        provider: {
          getMigrations: async () => migrations(dialect.name),
        },
      })
      const down = await migrator.migrateTo('002-auth')
      assert.equal(down.error, undefined)
      assert.deepEqual(
        down.results?.map((r) => [r.migrationName, r.status]),
        Object.keys(migrations(dialect.name))
          .filter((name) => name > '002-auth')
          .reverse()
          .map((name) => [name, 'Success']),
      )
      // A task and a run as a database from before issue 6 holds them.
      await sql`INSERT INTO tasks (name, source, script_file, command, conda_env, priority, status, created_at, updated_at) VALUES ('old', 'file', 'job.py', 'python job.py', 'base', 5, 'completed', 1, 1)`.execute(
        db,
      )
      await sql`INSERT INTO runs (task_id, status, priority, ${sql.ref('trigger')}, queued_at) SELECT id, 'completed', 5, 'manual', 1 FROM tasks`.execute(db)

      await migrateToLatest(db, dialect.name)
      const store = kyselyStore(db, dialect.name)
      const task = (await store.tasks.findByName('old'))!
      assert.deepEqual([task.runAs, task.memoryLimitMb, task.maxLogMb], [null, null, null])
      const run = (await store.runs.listForTask(task.id, 1))[0]!
      assert.equal(run.outputTruncated, false)
    })
  })
}
