import type { Kysely } from 'kysely'
import type { AuditLogRow, Database } from '../database.ts'
import type { AuditEntry } from '../../domain/audit-entry.ts'
import type { AuditLogTable, DialectName } from '../store.ts'
import { firstCompiled } from '../compiled-queries.ts'

function toEntry(row: AuditLogRow): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    actorUserId: row.actor_user_id,
    actorUsername: row.actor_username,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
    ip: row.ip,
  }
}

/** The audit_log table on `db`, which may be a transaction. Entries are only ever added. */
export function auditLogTable(db: Kysely<Database>, dialect: DialectName): AuditLogTable {
  return {
    async insert(entry) {
      // Issue 10: every audited action (each trigger, each create) adds one; compiled once.
      const row = await firstCompiled(
        db,
        `${dialect} auditLog.insert`,
        [
          entry.at,
          entry.actorUserId,
          entry.actorUsername,
          entry.action,
          entry.targetType,
          entry.targetId,
          entry.details === null ? null : JSON.stringify(entry.details),
          entry.ip,
        ],
        (at, actorUserId, actorUsername, action, targetType, targetId, details, ip) =>
          db
            .insertInto('audit_log')
            .values({
              at,
              actor_user_id: actorUserId,
              actor_username: actorUsername,
              action,
              target_type: targetType,
              target_id: targetId,
              details,
              ip,
            })
            .returningAll(),
      )
      if (!row) throw new Error('the audit entry was not returned')
      return toEntry(row)
    },

    async list({ limit, before }) {
      // By id, not by `at`: ids are unique and increase with each insert, so a page boundary
      // never splits or repeats entries, while `at` comes from each node's clock and may tie.
      const rows = await db
        .selectFrom('audit_log')
        .selectAll()
        .$if(before !== undefined, (qb) => qb.where('id', '<', before as number))
        .orderBy('id', 'desc')
        .limit(limit)
        .execute()
      return rows.map(toEntry)
    },
  }
}
