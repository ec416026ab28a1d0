/**
 * Who is asking: a session cookie, a JWT or an API token in, a User or null out. Every check
 * that can end a credential early lives here, so no route can forget one.
 */
import type { Clock } from '../domain/clock.ts'
import type { User } from '../domain/user.ts'
import type { Session } from '../domain/session.ts'
import type { StoreTables } from '../store/store.ts'
import { verifyAccessToken } from './jwt.ts'
import { hashSessionId, isSessionId } from './sessions.ts'
import { hashToken, isApiToken } from './tokens.ts'

/**
 * last_seen_at / last_used_at are written at most this often per credential: they are for
 * people reading listings, and a write on every request would turn each read into a write.
 */
export const TOUCH_INTERVAL_MS = 60_000

export interface AuthenticateDeps {
  store: Pick<StoreTables, 'users' | 'sessions' | 'apiTokens'>
  /** The JWT signing key (secret.ts). */
  secret: Buffer
  clock: Clock
}

export interface Credentials {
  /** The value of the `session` cookie. */
  sessionCookie?: string
  /** What follows `Bearer ` in the Authorization header: a JWT or an API token (`ty_…`). */
  bearer?: string
}

/** Who a request acts as, and the login session its credential belongs to. */
export interface Identity {
  user: User
  /**
   * The sessions row (cookie hash) behind a session cookie or a login JWT: logout ends it, and
   * with it every credential and stream of that login. Null for an API token, which is no login.
   */
  sessionId: string | null
}

/**
 * The user behind the credentials, or null. A bearer credential, when present, decides alone:
 * a bad bearer with a good cookie is refused rather than quietly served as the cookie's user,
 * so a caller always knows which credential acted (and applies the cookie-only CSRF check
 * exactly when no bearer was sent).
 */
export async function authenticate(deps: AuthenticateDeps, credentials: Credentials): Promise<User | null> {
  return (await identify(deps, credentials))?.user ?? null
}

/** authenticate, with the session the credential belongs to. */
export async function identify(deps: AuthenticateDeps, credentials: Credentials): Promise<Identity | null> {
  if (credentials.bearer !== undefined) {
    return isApiToken(credentials.bearer) ? byApiToken(deps, credentials.bearer) : byAccessToken(deps, credentials.bearer)
  }
  if (credentials.sessionCookie !== undefined) return bySession(deps, credentials.sessionCookie)
  return null
}

/**
 * Whether an identity established earlier still holds: the user enabled with the same
 * credentials, and its session (if any) alive. For long requests that subscribe to revocation
 * events after authenticating: checked after subscribing, a revocation in between is not missed.
 */
export async function identityHolds(deps: AuthenticateDeps, identity: Identity): Promise<boolean> {
  const user = await deps.store.users.findById(identity.user.id)
  if (user === undefined || user.disabled || user.credentialsChangedAt !== identity.user.credentialsChangedAt) return false
  return identity.sessionId === null || (await liveSession(deps, identity.sessionId)) !== null
}

/**
 * The user if it may act on a credential issued at `issuedAt`. Equal instants pass: a password
 * change and the new session that goes with it are written at the same instant.
 */
async function liveUser(deps: AuthenticateDeps, userId: number, issuedAt: number): Promise<User | null> {
  const user = await deps.store.users.findById(userId)
  if (user === undefined || user.disabled || issuedAt < user.credentialsChangedAt) return null
  return user
}

async function bySession(deps: AuthenticateDeps, cookie: string): Promise<Identity | null> {
  if (!isSessionId(cookie)) return null
  const hash = hashSessionId(cookie)
  const session = await liveSession(deps, hash)
  if (session === null) return null
  const user = await liveUser(deps, session.userId, session.createdAt)
  if (user === null) return null
  const now = deps.clock.now()
  if (now - session.lastSeenAt >= TOUCH_INTERVAL_MS) await deps.store.sessions.touch(hash, now)
  return { user, sessionId: hash }
}

async function liveSession(deps: AuthenticateDeps, hash: string): Promise<Session | null> {
  const session = await deps.store.sessions.findByHash(hash)
  if (session === undefined || deps.clock.now() >= session.expiresAt) return null
  return session
}

/**
 * A login JWT lives only as long as its session: logout deletes the row, and the JWT is dead in
 * the same instant instead of for the rest of its 15 minutes. A JWT without `sid` is refused,
 * since nothing could end it early (only those from before sessions were tied, 15 minutes at most).
 */
async function byAccessToken(deps: AuthenticateDeps, token: string): Promise<Identity | null> {
  const verified = verifyAccessToken(deps.secret, token, deps.clock.now())
  if (!verified.ok || verified.claims.sessionId === null) return null
  const session = await liveSession(deps, verified.claims.sessionId)
  if (session === null || session.userId !== verified.claims.userId) return null
  const user = await liveUser(deps, verified.claims.userId, verified.claims.issuedAt)
  return user === null ? null : { user, sessionId: session.id }
}

async function byApiToken(deps: AuthenticateDeps, token: string): Promise<Identity | null> {
  const found = await deps.store.apiTokens.findByHash(hashToken(token))
  const now = deps.clock.now()
  if (found === undefined || found.revokedAt !== null || (found.expiresAt !== null && now >= found.expiresAt)) return null
  const user = await liveUser(deps, found.userId, found.createdAt)
  if (user === null) return null
  if (found.lastUsedAt === null || now - found.lastUsedAt >= TOUCH_INTERVAL_MS) await deps.store.apiTokens.touch(found.id, now)
  return { user, sessionId: null }
}
