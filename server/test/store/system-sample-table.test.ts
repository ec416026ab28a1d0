import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Store } from '../../src/store/store.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { openTestStore, T0 } from './store-fixtures.ts'

const GiB = 1024 ** 3

async function sample(store: Store, at: number, memoryUsedBytes: number): Promise<void> {
  await store.systemSamples.insert({ at, memoryUsedBytes, memoryTotalBytes: 16 * GiB, cpuPercent: 12.5 })
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: system samples`, { skip: dialect.skip }, () => {
    it('averages used memory per time range in one call, null where a range has no samples', async (t) => {
      const { store } = await openTestStore(t, dialect)
      await sample(store, T0, 4 * GiB)
      await sample(store, T0 + 999, 5 * GiB)
      await sample(store, T0 + 1_000, 7 * GiB)
      await sample(store, T0 + 2_500, 3)
      const ranges = [
        { from: T0, to: T0 + 1_000 },
        { from: T0 + 1_000, to: T0 + 2_000 },
        { from: T0 + 2_000, to: T0 + 3_000 },
        { from: T0 + 3_000, to: T0 + 4_000 },
        { from: T0 + 2_000, to: T0 + 2_501 },
      ]
      assert.deepEqual(await store.systemSamples.averageMemoryInRanges(ranges), [4.5 * GiB, 7 * GiB, 3, null, 3])
      assert.deepEqual(await store.systemSamples.averageMemoryInRanges([]), [])
    })

    it('has no averages on an empty table', async (t) => {
      const { store } = await openTestStore(t, dialect)
      assert.deepEqual(await store.systemSamples.averageMemoryInRanges([{ from: 0, to: T0 }]), [null])
    })

    it('prunes samples older than the cutoff, keeping the one at it', async (t) => {
      const { store } = await openTestStore(t, dialect)
      await sample(store, T0 - 2, 100)
      await sample(store, T0 - 1, 200)
      await sample(store, T0, 300)
      await sample(store, T0 + 1, 500)
      await store.systemSamples.prune(T0)
      const everything = { from: 0, to: T0 + 10 }
      const before = { from: 0, to: T0 }
      assert.deepEqual(await store.systemSamples.averageMemoryInRanges([everything, before]), [400, null])
    })
  })
}
