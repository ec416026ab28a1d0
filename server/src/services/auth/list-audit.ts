import type { AuditEntry } from '../../domain/audit-entry.ts'
import type { ServiceDeps } from '../deps.ts'

/** The audit log, newest first; `before` pages back by entry id. */
export function listAudit(deps: ServiceDeps, options: { limit: number; before?: number }): Promise<AuditEntry[]> {
  return deps.store.auditLog.list(options)
}
