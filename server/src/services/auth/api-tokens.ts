import { newApiToken } from '../../auth/tokens.ts'
import type { ApiToken } from '../../domain/api-token.ts'
import { TaskyardError } from '../../domain/errors.ts'
import type { User } from '../../domain/user.ts'
import type { ServiceDeps } from '../deps.ts'
import { recordAudit, type Actor } from './record-audit.ts'

const MAX_TOKEN_NAME = 100

/** A long-lived token for scripts and CI. The secret is returned here once and never again. */
export async function createApiToken(
  deps: ServiceDeps,
  actor: Actor & { user: User },
  input: { name: string; expiresInDays?: number | undefined },
): Promise<{ token: ApiToken; secret: string }> {
  const name = input.name.trim()
  if (name === '' || name.length > MAX_TOKEN_NAME) {
    throw new TaskyardError('invalid_input', 'Invalid request', { error: `name is required, 1-${MAX_TOKEN_NAME} characters` })
  }
  let expiresAt: number | null = null
  if (input.expiresInDays !== undefined) {
    const days = input.expiresInDays
    if (!Number.isInteger(days) || days < 1 || days > 3650) {
      throw new TaskyardError('invalid_input', 'Invalid request', { error: 'expires_in_days must be an integer from 1 to 3650' })
    }
    expiresAt = deps.clock.now() + days * 86_400_000
  }
  const secret = newApiToken()
  const token = await deps.store.transaction(async (tx) => {
    const inserted = await tx.apiTokens.insert({
      userId: actor.user.id,
      name,
      tokenHash: secret.hash,
      prefix: secret.prefix,
      createdAt: deps.clock.now(),
      expiresAt,
    })
    await recordAudit(tx, deps.clock, actor, 'token.create', { type: 'token', id: inserted.id }, { name })
    return inserted
  })
  return { token, secret: secret.token }
}

export function listApiTokens(deps: ServiceDeps, user: User): Promise<ApiToken[]> {
  return deps.store.apiTokens.listForUser(user.id)
}

/** Only the owner revokes their token; another user's token id reads as not found. */
export async function revokeApiToken(deps: ServiceDeps, actor: Actor & { user: User }, tokenId: number): Promise<void> {
  await deps.store.transaction(async (tx) => {
    const revoked = Number.isSafeInteger(tokenId) && (await tx.apiTokens.revoke(tokenId, actor.user.id, deps.clock.now()))
    if (!revoked) throw new TaskyardError('token_not_found', `Token with ID ${tokenId} not found`)
    await recordAudit(tx, deps.clock, actor, 'token.revoke', { type: 'token', id: tokenId })
  })
}
