import type { FastifyReply, FastifyRequest } from 'fastify'
import { identify, identityHolds, type Identity } from '../auth/authenticate.ts'
import { authenticationRequired, TaskyardError } from '../domain/errors.ts'
import type { User } from '../domain/user.ts'
import type { ServiceDeps } from '../services/deps.ts'
import type { Actor } from '../services/auth/record-audit.ts'

export const SESSION_COOKIE = 'session'

/**
 * The one way a login session reaches the browser (login, 000a's /login, a password change):
 * httpOnly so scripts never see it, SameSite=Lax against cross-site writes, Secure over https.
 */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, session: { sessionId: string; sessionExpiresAt: number }): void {
  reply.setCookie(SESSION_COOKIE, session.sessionId, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: request.protocol === 'https',
    expires: new Date(session.sessionExpiresAt),
  })
}

const identities = new WeakMap<FastifyRequest, Identity>()

/** The authenticated user of a request that passed the authentication hook. */
export function userOf(request: FastifyRequest): User {
  const identity = identities.get(request)
  if (!identity) throw authenticationRequired()
  return identity.user
}

/** The login session (sessions row key) behind the request's cookie or JWT; null for an API token. */
export function sessionIdOf(request: FastifyRequest): string | null {
  const identity = identities.get(request)
  if (!identity) throw authenticationRequired()
  return identity.sessionId
}

/** Whether the request's credentials still hold now (see identityHolds). */
export async function stillAuthenticated(deps: ServiceDeps, request: FastifyRequest): Promise<boolean> {
  const identity = identities.get(request)
  return identity !== undefined && identityHolds({ store: deps.store, secret: deps.auth.secret, clock: deps.clock }, identity)
}

export function actorOf(request: FastifyRequest): Actor & { user: User } {
  return { user: userOf(request), ip: request.ip }
}

export function sessionCookieOf(request: FastifyRequest): string | null {
  const value = request.cookies[SESSION_COOKIE]
  return typeof value === 'string' && value !== '' ? value : null
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * A cookie is sent by the browser whoever made the page; a request that rides on it must come
 * from our own origin. Browsers mark cross-site requests (Sec-Fetch-Site) and send Origin on
 * every cross-origin POST, multipart and form posts included; SameSite=Lax is the second wall.
 * Bearer credentials are never sent by a browser on its own, so they need no such check.
 */
function assertSameOrigin(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site']
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') throw crossSite()
  const origin = request.headers.origin
  if (typeof origin === 'string') {
    let host: string | null = null
    try {
      host = new URL(origin).host
    } catch {
      host = null
    }
    if (host === null || host !== request.headers.host) throw crossSite()
  }
}

const crossSite = (): TaskyardError =>
  new TaskyardError('cross_site_request', 'Cross-site request refused', {
    error: 'Requests authenticated by the session cookie must come from this site (Origin does not match)',
  })

/**
 * The authentication seam of every /api route but login: a session cookie (spec 000) or a
 * Bearer JWT / API token (spec 001). Nothing valid → spec 000's 401.
 */
export async function authenticateRequest(deps: ServiceDeps, request: FastifyRequest): Promise<void> {
  const header = request.headers.authorization
  const bearer = typeof header === 'string' && /^Bearer /i.test(header) ? header.slice(7).trim() : null
  const cookie = sessionCookieOf(request)
  const credentials = bearer ? { bearer } : cookie ? { sessionCookie: cookie } : null
  if (!credentials) throw authenticationRequired()
  const identity = await identify({ store: deps.store, secret: deps.auth.secret, clock: deps.clock }, credentials)
  if (!identity) throw authenticationRequired()
  if (!bearer && UNSAFE.has(request.method)) assertSameOrigin(request)
  identities.set(request, identity)
}
