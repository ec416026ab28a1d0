import { newApiToken } from '../../auth/tokens.ts'
import { TaskyardError } from '../../domain/errors.ts'
import type { User } from '../../domain/user.ts'
import type { ApiToken } from '../../domain/api-token.ts'
import type { ServiceDeps } from '../deps.ts'
import { recordAudit, type Actor } from './record-audit.ts'

const MAX_TOKEN_NAME = 100

/** A long-lived token for scripts and CI. The secret is returned here once and never again. */
export async function createApiToken(
  deps: ServiceDeps,
  actor: Actor & { user: User },
  input: { name: unknown; expiresInDays?: unknown },
): Promise<{ token: ApiToken; secret: string }> {
  const name = typeof input.name === 'string' ? input.name.trim() : ''
  if (name === '' || name.length > MAX_TOKEN_NAME) {
    throw new TaskyardError('invalid_input', 'Invalid request', { error: `name is required, 1-${MAX_TOKEN_NAME} characters` })
  }
  let expiresAt: number | null = null
  if (input.expiresInDays !== undefined && input.expiresInDays !== null) {
    const days = Number(input.expiresInDays)
    if (!Number.isInteger(days) || days < 1 || days > 3650) {
      throw new TaskyardError('invalid_input', 'Invalid request', { error: 'expires_in_days must be an integer from 1 to 3650' })
    }
    expiresAt = deps.clock.now() + days * 86_400_000
  }
  const secret = newApiToken()
  const token = await deps.store.apiTokens.insert({
    userId: actor.user.id,
    name,
    tokenHash: secret.hash,
    prefix: secret.prefix,
    createdAt: deps.clock.now(),
    expiresAt,
  })
  await recordAudit(deps, actor, 'token.create', { type: 'token', id: token.id }, { name })
  return { token, secret: secret.token }
}

export function listApiTokens(deps: ServiceDeps, user: User): Promise<ApiToken[]> {
  return deps.store.apiTokens.listForUser(user.id)
}

/** Only the owner revokes their token; another user's token id reads as not found. */
export async function revokeApiToken(deps: ServiceDeps, actor: Actor & { user: User }, tokenId: number): Promise<void> {
  const revoked = Number.isSafeInteger(tokenId) && (await deps.store.apiTokens.revoke(tokenId, actor.user.id, deps.clock.now()))
  if (!revoked) throw new TaskyardError('token_not_found', `Token with ID ${tokenId} not found`)
  await recordAudit(deps, actor, 'token.revoke', { type: 'token', id: tokenId })
}
