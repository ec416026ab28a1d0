import type { AuditEntry } from '../../domain/audit-entry.ts'
import type { ServiceDeps } from '../deps.ts'
import { assertAdmin } from './manage-users.ts'
import type { Actor } from './record-audit.ts'

/** The audit log, newest first; `before` pages back by entry id. Admins only. */
export async function listAudit(deps: ServiceDeps, actor: Actor, options: { limit: number; before?: number }): Promise<AuditEntry[]> {
  assertAdmin(actor, 'read the audit log')
  return deps.store.auditLog.list(options)
}
