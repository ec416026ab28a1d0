import type { Clock } from '../../domain/clock.ts'
import type { User } from '../../domain/user.ts'
import type { StoreTables } from '../../store/store.ts'

/** Who asked, from where: what every audited action records. */
export interface Actor {
  user: User | null
  ip: string | null
}

/**
 * Appends one entry to the audit log (issue 3: who did what). `tables` is the transaction of the
 * change the entry records, so both commit or neither does: no change goes unrecorded, no entry
 * names a change that did not happen. Only refusals that change nothing (a failed login) pass
 * the store itself.
 */
export async function recordAudit(
  tables: Pick<StoreTables, 'auditLog'>,
  clock: Clock,
  actor: Actor,
  action: string,
  target: { type: string; id: string | number } | null = null,
  details: Record<string, unknown> | null = null,
): Promise<void> {
  await tables.auditLog.insert({
    at: clock.now(),
    actorUserId: actor.user?.id ?? null,
    actorUsername: actor.user?.username ?? null,
    action,
    targetType: target?.type ?? null,
    targetId: target ? String(target.id) : null,
    details,
    ip: actor.ip,
  })
}
