import type { User } from '../../domain/user.ts'
import type { ServiceDeps } from '../deps.ts'

/** Who asked, from where: what every audited action records. */
export interface Actor {
  user: User | null
  ip: string | null
}

/** Appends one entry to the audit log (issue 3: who did what). */
export async function recordAudit(
  deps: Pick<ServiceDeps, 'store' | 'clock'>,
  actor: Actor,
  action: string,
  target: { type: string; id: string | number } | null = null,
  details: Record<string, unknown> | null = null,
): Promise<void> {
  await deps.store.auditLog.insert({
    at: deps.clock.now(),
    actorUserId: actor.user?.id ?? null,
    actorUsername: actor.user?.username ?? null,
    action,
    targetType: target?.type ?? null,
    targetId: target ? String(target.id) : null,
    details,
    ip: actor.ip,
  })
}
