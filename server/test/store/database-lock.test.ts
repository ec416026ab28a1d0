import assert from 'node:assert/strict'
import { hostname } from 'node:os'
import { describe, it } from 'node:test'
import pg from 'pg'
import { LockHeldError, lockDatabase } from '../../src/store/database-lock.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { openTestStore } from './store-fixtures.ts'

const T = Date.parse('2026-01-02T03:04:05.000Z')

for (const dialect of testDialects()) {
  describe(`${dialect.name}: the one-server database lock`, { skip: dialect.skip }, () => {
    it('is refused to a second taker, naming the holder, and free again once released', async (t) => {
      const { databaseUrl } = await openTestStore(t, dialect)
      const first = await lockDatabase(databaseUrl, { now: () => T })
      t.after(() => first.release())
      const refused = await lockDatabase(databaseUrl, { now: () => T }).then(
        () => assert.fail('a second lock was granted'),
        (e: unknown) => e,
      )
      assert.ok(refused instanceof LockHeldError)
      assert.equal(refused.holder?.pid, process.pid)
      assert.equal(refused.holder?.host, hostname())
      const since = dialect.name === 'sqlite' ? new Date(T).toISOString() : refused.holder!.since
      assert.equal(
        refused.message,
        `${first.what} is in use by another Taskyard server (pid ${process.pid} on host ${hostname()}, since ${since}). Stop that server first: one server per data directory and per database.`,
      )
      await first.release()
      const second = await lockDatabase(databaseUrl, { now: () => T })
      await second.release()
    })
  })
}

const found = testDialects().find((d) => d.name === 'postgres')
describe('postgres: a lost lock session', { skip: found ? found.skip : 'TASKYARD_TEST_PG_URL is not set: no PostgreSQL to lose' }, () => {
  const postgres = found!
  it('is reported, and the lock is taken again when PostgreSQL is back', async (t) => {
    const { databaseUrl } = await openTestStore(t, postgres)
    let lost!: (e: unknown) => void
    let relocked!: () => void
    const lostSeen = new Promise<unknown>((r) => (lost = r))
    const relockSeen = new Promise<void>((r) => (relocked = r))
    const lock = await lockDatabase(databaseUrl, { now: () => T, onLost: (e) => lost(e), onRelocked: () => relocked(), relockIntervalMs: 50 })
    t.after(() => lock.release())
    const admin = new pg.Client({ connectionString: databaseUrl })
    admin.on('error', () => undefined)
    await admin.connect()
    t.after(() => admin.end())
    const { rows } = await admin.query<{ n: number }>(
      "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name LIKE 'taskyard pid=%' AND datname = current_database()",
    )
    assert.equal(rows[0]?.n, 1)
    assert.match(String(await lostSeen), /terminating connection|the PostgreSQL session holding the server lock ended/)
    await relockSeen
    await assert.rejects(lockDatabase(databaseUrl, { now: () => T }), LockHeldError)
  })
})
