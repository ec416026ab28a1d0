import { signAccessToken } from '../../auth/jwt.ts'
import { hashPassword, passwordProblem, verifyPassword } from '../../auth/passwords.ts'
import { newSessionId } from '../../auth/sessions.ts'
import { TaskyardError } from '../../domain/errors.ts'
import type { ServiceDeps } from '../deps.ts'
import type { LoggedIn } from './login.ts'
import { recordAudit, type Actor } from './record-audit.ts'

const invalid = (error: string): TaskyardError => new TaskyardError('invalid_input', 'Invalid request', { error })

/**
 * A user changes their own password, proving the current one. Every other session, JWT and
 * API token of the user dies with it (credentials_changed_at), and the caller gets a fresh
 * session issued at the same instant, so the browser that asked stays logged in.
 * Wrong guesses count against the login throttle: this is a password oracle like login.
 */
export async function changeOwnPassword(
  deps: ServiceDeps,
  actor: Actor & { user: { id: number; username: string } },
  input: { currentPassword: string; newPassword: string },
): Promise<LoggedIn> {
  if (input.currentPassword === '') throw invalid('current_password is required')
  const problem = passwordProblem(input.newPassword)
  if (problem) throw invalid(problem)
  const ip = actor.ip ?? ''
  const username = actor.user.username
  const now = deps.clock.now()
  const decision = deps.auth.throttle.check(username, ip, now)
  if (!decision.allowed) {
    const seconds = Math.ceil(decision.retryAfterMs / 1000)
    throw new TaskyardError('too_many_attempts', 'Too many failed login attempts', { error: `Try again in ${seconds} seconds`, retry_after: seconds })
  }
  const found = await deps.store.users.findByUsername(username)
  if (!found || found.disabled || !(await verifyPassword(input.currentPassword, found.passwordHash))) {
    deps.auth.throttle.fail(username, ip, now)
    await recordAudit(deps.store, deps.clock, actor, 'password.change_failed', { type: 'user', id: actor.user.id })
    throw new TaskyardError('invalid_input', 'Current password is incorrect', { error: 'The current password does not match' })
  }
  if (input.newPassword === input.currentPassword) throw invalid('new_password must differ from the current password')
  deps.auth.throttle.succeed(username, ip, now)
  const passwordHash = await hashPassword(input.newPassword)
  const session = newSessionId()
  const expiresAt = now + deps.auth.sessionTtlMs
  const user = await deps.store.transaction(async (tx) => {
    const updated = (await tx.users.update(found.id, { passwordHash, credentialsChangedAt: now, updatedAt: now }))!
    await tx.sessions.deleteForUser(found.id)
    await tx.apiTokens.revokeAllForUser(found.id, now)
    // Created at the instant of the change: equal instants pass (auth/authenticate.ts).
    await tx.sessions.insert({ id: session.hash, userId: found.id, createdAt: now, expiresAt, lastSeenAt: now })
    await recordAudit(tx, deps.clock, actor, 'password.change', { type: 'user', id: found.id })
    return updated
  })
  // Ends the user's open log streams everywhere; the page that asked reconnects with its new cookie.
  deps.bus.emit('user:revoked', { userId: found.id })
  return {
    user,
    sessionId: session.id,
    token: signAccessToken(deps.auth.secret, found.id, now, deps.auth.accessTokenTtlMs, session.hash),
    sessionExpiresAt: expiresAt,
  }
}
