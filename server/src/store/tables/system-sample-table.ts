import type { Kysely } from 'kysely'
import type { SystemSample } from '../../domain/system-sample.ts'
import type { Database } from '../database.ts'
import { toRow } from '../row-mapping.ts'
import type { SystemSampleTable } from '../store.ts'

const SAMPLE_FIELDS: Record<keyof SystemSample, true> = {
  at: true,
  memoryUsedBytes: true,
  memoryTotalBytes: true,
  cpuPercent: true,
}

/** The system_samples table on `db`, which may be a transaction. */
export function systemSampleTable(db: Kysely<Database>): SystemSampleTable {
  return {
    async insert(sample) {
      await db.insertInto('system_samples').values(toRow(sample, SAMPLE_FIELDS)).execute()
    },

    async averageMemoryInRanges(ranges) {
      if (ranges.length === 0) return []
      // One statement, one subquery per range, each reading its slice of the covering index.
      // AVG over no rows is NULL: the contract's "no samples".
      const row = await db
        .selectNoFrom((eb) =>
          ranges.map((range, i) =>
            eb
              .selectFrom('system_samples')
              .select((sub) => sub.fn.avg<number | null>('memory_used_bytes').as('avg'))
              .where('at', '>=', range.from)
              .where('at', '<', range.to)
              .as(`r${i}`),
          ),
        )
        .executeTakeFirstOrThrow()
      return ranges.map((_, i) => row[`r${i}`] ?? null)
    },

    async prune(before) {
      await db.deleteFrom('system_samples').where('at', '<', before).execute()
    },
  }
}
