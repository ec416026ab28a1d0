import { sql, type Kysely } from 'kysely'
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
      // AVG over no rows is NULL: the contract's "no samples". Issue 10: sql fragments, not the
      // expression builder, whose 24 subqueries cost more CPU to build than to answer.
      const cells = ranges.map(
        (range, i) =>
          sql`(select avg("memory_used_bytes") as "avg" from "system_samples" where "at" >= ${range.from} and "at" < ${range.to}) as ${sql.ref(`r${i}`)}`,
      )
      const { rows } = await sql<Record<string, number | null>>`select ${sql.join(cells)}`.execute(db)
      const row = rows[0]!
      return ranges.map((_, i) => row[`r${i}`] ?? null)
    },

    async prune(before) {
      await db.deleteFrom('system_samples').where('at', '<', before).execute()
    },
  }
}
