import type { Kysely } from 'kysely'
import type { QueueSettings } from '../../domain/queue-settings.ts'
import type { Database } from '../database.ts'
import type { DialectName, QueueSettingsTable } from '../store.ts'
import { firstCompiled } from '../compiled-queries.ts'

const nullableNumber = (v: number | string | null): number | null => (v == null ? null : Number(v))

/**
 * The one row of queue_settings on `db`, which may be a transaction (`inTransaction`: then the row,
 * once locked, is held to the end of it, and a second lock() answers what the first read: a
 * trigger locks it to admit its run and again to claim one, issue 10).
 */
export function queueSettingsTable(db: Kysely<Database>, dialect: DialectName, inTransaction = false): QueueSettingsTable {
  let locked: QueueSettings | null = null
  async function read(forUpdate: boolean): Promise<QueueSettings> {
    const lock = forUpdate && dialect === 'postgres'
    // Issue 10: read twice per run (the trigger, the claim): compiled once (compiled-queries.ts).
    const found = await firstCompiled(db, `${dialect} queueSettings.read${lock ? ' for update' : ''}`, [], () =>
      db
        .selectFrom('queue_settings')
        .select(['max_workers', 'when_busy', 'updated_at', 'updated_by'])
        .where('id', '=', 1)
        // SQLite transactions are serial (BEGIN IMMEDIATE): the row needs no lock of its own there.
        .$if(lock, (qb) => qb.forUpdate()),
    )
    if (!found) throw new Error('queue_settings has no row 1 (migration 008 inserts it)')
    const row = found
    return {
      maxWorkers: nullableNumber(row.max_workers),
      whenBusy: row.when_busy === 'refuse' ? 'refuse' : 'queue',
      updatedAt: nullableNumber(row.updated_at),
      updatedBy: nullableNumber(row.updated_by),
    }
  }
  return {
    get: () => read(false),
    async lock() {
      if (locked) return { ...locked }
      const settings = await read(true)
      if (inTransaction) locked = settings
      return { ...settings }
    },
    async update(patch) {
      await db
        .updateTable('queue_settings')
        .set({ max_workers: patch.maxWorkers, when_busy: patch.whenBusy, updated_at: patch.updatedAt, updated_by: patch.updatedBy })
        .where('id', '=', 1)
        .execute()
      const settings = await read(false)
      // The write holds the row too (PostgreSQL's row lock; SQLite's write lock).
      if (inTransaction) locked = settings
      return settings
    },
  }
}
