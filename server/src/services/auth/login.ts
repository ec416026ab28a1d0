import { signAccessToken } from '../../auth/jwt.ts'
import { verifyPassword } from '../../auth/passwords.ts'
import { hashSessionId, newSessionId } from '../../auth/sessions.ts'
import { TaskyardError } from '../../domain/errors.ts'
import type { User } from '../../domain/user.ts'
import type { ServiceDeps } from '../deps.ts'
import { recordAudit, type Actor } from './record-audit.ts'

export interface LoggedIn {
  user: User
  /** The raw session id for the cookie; only its hash is stored. */
  sessionId: string
  /** A short-lived JWT for `Authorization: Bearer` (spec 001). */
  token: string
  sessionExpiresAt: number
}

/** One message for every failure, so a caller cannot tell a wrong password from a missing user. */
const invalid = (): TaskyardError =>
  new TaskyardError('invalid_credentials', 'Invalid username or password', { error: 'The username or password is incorrect' })

/**
 * Checks the password (slowed per account and per address after failures) and opens a new
 * session. The session id always changes at login: a previous session cookie is deleted.
 */
export async function login(deps: ServiceDeps, input: { username: string; password: string; ip: string; previousSessionId: string | null }): Promise<LoggedIn> {
  if (input.username === '' || input.password === '') {
    throw new TaskyardError('invalid_input', 'Invalid request', { error: 'username and password are required' })
  }
  const now = deps.clock.now()
  const decision = deps.auth.throttle.check(input.username, input.ip, now)
  if (!decision.allowed) {
    const seconds = Math.ceil(decision.retryAfterMs / 1000)
    throw new TaskyardError('too_many_attempts', 'Too many failed login attempts', {
      error: `Try again in ${seconds} seconds`,
      retry_after: seconds,
    })
  }
  const found = await deps.store.users.findByUsername(input.username)
  // Verify even for an unknown user (against no hash), so timing does not reveal which names exist.
  const ok = await verifyPassword(input.password, found && !found.disabled ? found.passwordHash : null)
  if (!found || found.disabled || !ok) {
    deps.auth.throttle.fail(input.username, input.ip, now)
    // Nothing changed to roll back with it: the entry is the store's alone.
    await recordAudit(deps.store, deps.clock, { user: null, ip: input.ip }, 'login.failed', null, { username: input.username })
    throw invalid()
  }
  deps.auth.throttle.succeed(input.username, input.ip, now)
  const { passwordHash: _hash, ...user } = found
  const session = newSessionId()
  const expiresAt = now + deps.auth.sessionTtlMs
  await deps.store.transaction(async (tx) => {
    if (input.previousSessionId) await tx.sessions.delete(hashSessionId(input.previousSessionId))
    await tx.sessions.insert({ id: session.hash, userId: user.id, createdAt: now, expiresAt, lastSeenAt: now })
    await recordAudit(tx, deps.clock, { user, ip: input.ip }, 'login')
  })
  if (input.previousSessionId) deps.bus.emit('session:revoked', { sessionId: hashSessionId(input.previousSessionId) })
  return {
    user,
    sessionId: session.id,
    token: signAccessToken(deps.auth.secret, user.id, now, deps.auth.accessTokenTtlMs, session.hash),
    sessionExpiresAt: expiresAt,
  }
}

/**
 * Ends one login: its session row, hence its cookie and its JWT (tied by `sid`), and, through
 * session:revoked after the delete, the log streams either of them opened. `sessionId` is the
 * row the request was authenticated by (null for an API token: no login to end).
 */
export async function logout(deps: ServiceDeps, actor: Actor, sessionId: string | null): Promise<void> {
  if (sessionId === null) return
  await deps.store.transaction(async (tx) => {
    await tx.sessions.delete(sessionId)
    await recordAudit(tx, deps.clock, actor, 'logout')
  })
  deps.bus.emit('session:revoked', { sessionId })
}
