import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { claimNextRun, claimRunToStart } from '../../src/services/claim-next-run.ts'
import { openStore } from '../../src/store/kysely-store.ts'
import type { Store } from '../../src/store/store.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newRun, newTask, openTestStore, T0 } from '../store/store-fixtures.ts'

/** `n` tasks with one queued run each (a task has at most one live run). */
async function queueRuns(store: Store, runs: { priority: number; queuedAt: number }[]): Promise<number[]> {
  const ids: number[] = []
  for (const [i, r] of runs.entries()) {
    const task = await store.tasks.insert(newTask({ name: `job-${i}`, status: 'running' }))
    ids.push((await store.runs.insert(newRun(task.id, r))).id)
  }
  return ids
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: claimNextRun (issue 8: max_workers across servers)`, { skip: dialect.skip }, () => {
    it('claims by priority (lower first), then by the time the run became due, then by id', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const ids = await queueRuns(store, [
        { priority: 8, queuedAt: T0 },
        { priority: 2, queuedAt: T0 + 5 },
        { priority: 5, queuedAt: T0 + 1 },
        { priority: 2, queuedAt: T0 + 2 },
        { priority: 0, queuedAt: T0 + 9 },
        { priority: 5, queuedAt: T0 + 1 },
      ])
      const order: number[] = []
      for (;;) {
        const run = await claimNextRun(store, 'node-a', T0 + 100, null)
        if (!run) break
        assert.equal(run.status, 'running')
        order.push(run.id)
      }
      assert.deepEqual(order, [ids[4], ids[3], ids[1], ids[2], ids[5], ids[0]])
    })

    it('starts nothing past the limit: running and paused runs hold a slot, a stored max_workers wins over the configured one', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const ids = await queueRuns(
        store,
        [0, 1, 2, 3].map((i) => ({ priority: 5, queuedAt: T0 + i })),
      )
      assert.equal((await claimNextRun(store, 'a', T0, 2))?.id, ids[0])
      assert.equal((await claimNextRun(store, 'a', T0, 2))?.id, ids[1])
      assert.equal(await claimNextRun(store, 'a', T0, 2), undefined)
      await store.runs.update(ids[0]!, { status: 'paused' })
      assert.equal(await claimNextRun(store, 'a', T0, 2), undefined, 'a paused run still holds its slot')
      await store.runs.update(ids[0]!, { status: 'completed', endedAt: T0 + 1 })
      assert.equal((await claimNextRun(store, 'a', T0, 2))?.id, ids[2])
      // An admin's 1 is below the 2 busy runs: nothing starts until both end and one is left.
      await store.queueSettings.update({ maxWorkers: 1, whenBusy: 'queue', updatedAt: T0, updatedBy: null })
      await store.runs.update(ids[1]!, { status: 'completed', endedAt: T0 + 1 })
      assert.equal(await claimNextRun(store, 'a', T0, 2), undefined)
      await store.runs.update(ids[2]!, { status: 'completed', endedAt: T0 + 1 })
      assert.equal((await claimNextRun(store, 'a', T0, 2))?.id, ids[3])
      assert.equal(await store.runs.countBusy(), 1)
    })

    it('claimRunToStart hands over the run with its task and server, and says when the claim took the last slot (issue 10)', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const ids = await queueRuns(
        store,
        [0, 1, 2].map((i) => ({ priority: 5, queuedAt: T0 + i })),
      )
      const first = await claimRunToStart(store, 'a', T0, 2)
      assert.equal(first.full, false)
      assert.equal(first.claimed?.run.id, ids[0])
      assert.equal(first.claimed?.run.status, 'running')
      assert.deepEqual(first.claimed?.task, await store.tasks.findById(first.claimed!.run.taskId))
      assert.equal(first.claimed?.serverId, null)
      const second = await claimRunToStart(store, 'a', T0, 2)
      assert.deepEqual([second.claimed?.run.id, second.full], [ids[1], true])
      assert.deepEqual(await claimRunToStart(store, 'a', T0, 2), { claimed: null, full: true })
      assert.equal((await store.runs.findById(ids[2]!))?.status, 'queued', 'a full claim changes nothing')
      // No limit: never full; an empty queue claims nothing and is not full either.
      await store.runs.update(ids[0]!, { status: 'completed', endedAt: T0 + 1 })
      await store.runs.update(ids[1]!, { status: 'completed', endedAt: T0 + 1 })
      assert.deepEqual([(await claimRunToStart(store, 'a', T0, null)).claimed?.run.id], [ids[2]])
      assert.deepEqual(await claimRunToStart(store, 'a', T0, null), { claimed: null, full: false })
    })

    it('two servers claiming in parallel on one database never run more than max_workers together', async (t) => {
      const { store, databaseUrl } = await openTestStore(t, dialect)
      // A second connection pool, as a second server on the same database has.
      const other = await openStore({ databaseUrl })
      t.after(() => other.close())
      await queueRuns(
        store,
        Array.from({ length: 24 }, (_, i) => ({ priority: i % 3, queuedAt: T0 + i })),
      )
      const limit = 5
      const claims = await Promise.all(Array.from({ length: 24 }, (_, i) => claimNextRun(i % 2 ? other : store, i % 2 ? 'node-b' : 'node-a', T0 + 50, limit)))
      const claimed = claims.filter((r) => r !== undefined)
      assert.equal(claimed.length, limit, `claimed ${claimed.length}`)
      assert.equal(new Set(claimed.map((r) => r.id)).size, limit, 'each run claimed once')
      assert.equal(await store.runs.countBusy(), limit)
      // They are the most urgent ones: the priority-0 runs, oldest first.
      assert.deepEqual(
        claimed.map((r) => r.priority),
        Array.from({ length: limit }, () => 0),
      )
    })

    it('a cancel racing the claims: each run is either claimed or cancelled, never both (cancelIfQueued)', async (t) => {
      const { store, databaseUrl } = await openTestStore(t, dialect)
      const other = await openStore({ databaseUrl })
      t.after(() => other.close())
      const ids = await queueRuns(
        store,
        Array.from({ length: 16 }, (_, i) => ({ priority: 5, queuedAt: T0 + i })),
      )
      const [claims, cancels] = await Promise.all([
        Promise.all(ids.map(() => claimNextRun(store, 'node-a', T0 + 50, null))),
        Promise.all(ids.map((id) => other.runs.cancelIfQueued(id, T0 + 50, 'Cancelled before it started'))),
      ])
      const claimed = new Set(claims.filter((r) => r !== undefined).map((r) => r.id))
      const cancelled = new Set(cancels.filter((r) => r !== undefined).map((r) => r.id))
      for (const id of ids) {
        assert.ok(claimed.has(id) !== cancelled.has(id), `run ${id}: claimed ${claimed.has(id)}, cancelled ${cancelled.has(id)}`)
        assert.equal((await store.runs.findById(id))?.status, claimed.has(id) ? 'running' : 'cancelled')
      }
    })
  })
}
