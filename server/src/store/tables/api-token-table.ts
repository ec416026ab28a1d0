import type { Kysely } from 'kysely'
import type { Database } from '../database.ts'
import { fromRow, toRow } from '../row-mapping.ts'
import type { ApiToken, NewApiToken } from '../../domain/api-token.ts'
import type { ApiTokenTable, DialectName } from '../store.ts'
import { firstCompiled } from '../compiled-queries.ts'

const NEW_TOKEN_FIELDS: Record<keyof NewApiToken, true> = {
  userId: true,
  name: true,
  tokenHash: true,
  prefix: true,
  createdAt: true,
  expiresAt: true,
}

/** Every column but token_hash: what a token is, not what proves it. */
const TOKEN_COLUMNS = ['id', 'user_id', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at', 'expires_at'] as const

/** The api_tokens table on `db`, which may be a transaction. */
export function apiTokenTable(db: Kysely<Database>, dialect: DialectName): ApiTokenTable {
  return {
    async insert(token) {
      const row = await db.insertInto('api_tokens').values(toRow(token, NEW_TOKEN_FIELDS)).returning(TOKEN_COLUMNS).executeTakeFirstOrThrow()
      return fromRow<ApiToken>(row)
    },

    async findByHash(tokenHash) {
      // Issue 10: every request with an API token reads it; compiled once.
      const row = await firstCompiled(db, `${dialect} apiTokens.findByHash`, [tokenHash], (tokenHash) =>
        db.selectFrom('api_tokens').select(TOKEN_COLUMNS).where('token_hash', '=', tokenHash),
      )
      return row && fromRow<ApiToken>(row)
    },

    async listForUser(userId) {
      const rows = await db.selectFrom('api_tokens').select(TOKEN_COLUMNS).where('user_id', '=', userId).orderBy('id').execute()
      return rows.map((row) => fromRow<ApiToken>(row))
    },

    async revoke(id, userId, now) {
      // One statement: owner, "not yet revoked" and the write succeed or fail together, so a
      // second revoke keeps the first instant.
      const result = await db
        .updateTable('api_tokens')
        .set({ revoked_at: now })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    async revokeAllForUser(userId, now) {
      const result = await db
        .updateTable('api_tokens')
        .set({ revoked_at: now })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      return Number(result.numUpdatedRows)
    },

    async touch(id, now) {
      await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute()
    },
  }
}
