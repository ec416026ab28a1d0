import type { User } from '../../domain/user.ts'
import { formatDateTime } from '../../lib/format-time.ts'
import type { ApiToken } from '../../domain/api-token.ts'
import type { AuditEntry } from '../../domain/audit-entry.ts'

export function presentUser(user: User): Record<string, unknown> {
  return {
    user_id: user.id,
    username: user.username,
    role: user.role,
    disabled: user.disabled,
    created_at: formatDateTime(user.createdAt),
    updated_at: formatDateTime(user.updatedAt),
  }
}

/** Never the secret: it is shown once, at creation. */
export function presentToken(token: ApiToken): Record<string, unknown> {
  return {
    token_id: token.id,
    name: token.name,
    prefix: token.prefix,
    created_at: formatDateTime(token.createdAt),
    last_used_at: formatDateTime(token.lastUsedAt),
    expires_at: formatDateTime(token.expiresAt),
    revoked_at: formatDateTime(token.revokedAt),
  }
}

export function presentAuditEntry(e: AuditEntry): Record<string, unknown> {
  return {
    id: e.id,
    at: formatDateTime(e.at),
    user_id: e.actorUserId,
    username: e.actorUsername,
    action: e.action,
    target_type: e.targetType,
    target_id: e.targetId,
    details: e.details,
    ip: e.ip,
  }
}
