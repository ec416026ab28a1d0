import type { Kysely } from 'kysely'
import type { Database } from '../database.ts'
import { fromRow, toRow } from '../row-mapping.ts'
import type { Session } from '../../domain/session.ts'
import type { DialectName, SessionTable } from '../store.ts'
import { firstCompiled } from '../compiled-queries.ts'

const SESSION_FIELDS: Record<keyof Session, true> = {
  id: true,
  userId: true,
  createdAt: true,
  expiresAt: true,
  lastSeenAt: true,
}

/** The sessions table on `db`, which may be a transaction. Ids are hashes of cookie values. */
export function sessionTable(db: Kysely<Database>, dialect: DialectName): SessionTable {
  return {
    async insert(session) {
      const row = await db.insertInto('sessions').values(toRow(session, SESSION_FIELDS)).returningAll().executeTakeFirstOrThrow()
      return fromRow<Session>(row)
    },

    async findByHash(id) {
      // Issue 10: every request with a login JWT or a session cookie reads it; compiled once.
      const row = await firstCompiled(db, `${dialect} sessions.findByHash`, [id], (id) => db.selectFrom('sessions').selectAll().where('id', '=', id))
      return row && fromRow<Session>(row)
    },

    async touch(id, now) {
      await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute()
    },

    async delete(id) {
      const result = await db.deleteFrom('sessions').where('id', '=', id).executeTakeFirst()
      return result.numDeletedRows > 0n
    },

    async deleteForUser(userId) {
      const result = await db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    async deleteExpired(now) {
      const result = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
