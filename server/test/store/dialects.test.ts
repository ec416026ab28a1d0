/**
 * Says, once per `npm test`, whether the PostgreSQL half of the suite ran: without
 * TASKYARD_TEST_PG_URL the summary shows one skipped test that names the variable.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PG_SKIPPED_NOTICE, testDialects, testPgUrl } from '../helpers/test-dialects.ts'

describe('test databases', () => {
  if (!testPgUrl()) {
    it(PG_SKIPPED_NOTICE, { skip: 'no PostgreSQL server given' }, () => {})
    it('lists SQLite alone when no PostgreSQL server is given', () => {
      assert.deepEqual(
        testDialects().map((d) => d.name),
        ['sqlite'],
      )
    })
    return
  }
  it('PostgreSQL: runs against TASKYARD_TEST_PG_URL, each open() on a database of its own', async () => {
    const dialects = testDialects()
    assert.deepEqual(
      dialects.map((d) => d.name),
      ['sqlite', 'postgres'],
    )
    const a = await dialects[1]!.open()
    const b = await dialects[1]!.open()
    try {
      assert.equal(a.store.dialect, 'postgres')
      assert.notEqual(a.databaseUrl, b.databaseUrl)
      assert.deepEqual(await a.store.tasks.list(), [])
    } finally {
      await a.cleanup()
      await b.cleanup()
    }
  })
})
