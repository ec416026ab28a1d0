/**
 * Short-lived access tokens (spec 001's JWT bearer tokens), HS256 by hand on node:crypto.
 * Only HS256 exists here: the header is never consulted to pick an algorithm, so `alg: none`
 * and the RS256/HS256 confusion have nothing to work with.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** The header every token we sign carries, byte for byte. */
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')
/** Our tokens are ~200 characters; anything far longer is not ours and is not worth parsing. */
const MAX_TOKEN_LENGTH = 4096
/** Tolerated clock difference between the node that signed and the node that verifies. */
const IAT_SKEW_MS = 60_000
const SEGMENT = /^[A-Za-z0-9_-]+$/
const USER_ID = /^[1-9][0-9]{0,14}$/
/** A sessions row key: SHA-256 hex of the cookie (knowing it does not give the cookie). */
const SESSION_ID = /^[0-9a-f]{64}$/

export interface AccessTokenClaims {
  userId: number
  /** Epoch ms, to the millisecond: compared with User.credentialsChangedAt. */
  issuedAt: number
  /** Epoch ms. */
  expiresAt: number
  /** The login session the token belongs to (`sid`): logout ends both. Null in a token without one. */
  sessionId: string | null
}

export type VerifyResult =
  { ok: true; claims: AccessTokenClaims } | { ok: false; reason: 'malformed' | 'bad_signature' | 'unsupported_header' | 'expired' | 'not_yet_valid' }

function sign(secret: Buffer, signingInput: string): string {
  return createHmac('sha256', secret).update(signingInput, 'ascii').digest('base64url')
}

/**
 * A token for `userId`, valid from `now` for `ttlMs`. `iat` and `exp` are NumericDates with
 * millisecond fractions (RFC 7519 allows non-integer seconds): a token issued right after a
 * password change must not look older than the change because its second was rounded down.
 * `sid` ties it to the login session that issued it (its sessions row key).
 */
export function signAccessToken(secret: Buffer, userId: number, now: number, ttlMs: number, sessionId?: string): string {
  const claims = { sub: String(userId), iat: now / 1000, exp: (now + ttlMs) / 1000, ...(sessionId !== undefined ? { sid: sessionId } : {}) }
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url')
  const signingInput = `${HEADER}.${payload}`
  return `${signingInput}.${sign(secret, signingInput)}`
}

function parseJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Checks, in this order: shape, signature (over the segments exactly as received), header,
 * claims, time. Nothing of a token is believed before its signature is.
 */
export function verifyAccessToken(secret: Buffer, token: string, now: number): VerifyResult {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' }
  const parts = token.split('.')
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) return { ok: false, reason: 'malformed' }
  const [header, payload, signature] = parts as [string, string, string]

  // Compared as text against the canonical encoding, so a signature has one spelling only.
  const expected = Buffer.from(sign(secret, `${header}.${payload}`))
  const given = Buffer.from(signature)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' }

  const headerJson = parseJson(header)
  if (!isObject(headerJson) || headerJson.alg !== 'HS256') return { ok: false, reason: 'unsupported_header' }
  // `crit` names extensions the verifier must understand; we understand none.
  if ('crit' in headerJson || ('typ' in headerJson && headerJson.typ !== 'JWT')) {
    return { ok: false, reason: 'unsupported_header' }
  }

  const claims = parseJson(payload)
  if (!isObject(claims)) return { ok: false, reason: 'malformed' }
  const { sub, iat, exp, nbf, sid } = claims
  if (typeof sub !== 'string' || !USER_ID.test(sub)) return { ok: false, reason: 'malformed' }
  if (sid !== undefined && (typeof sid !== 'string' || !SESSION_ID.test(sid))) return { ok: false, reason: 'malformed' }
  if (typeof iat !== 'number' || !Number.isFinite(iat) || typeof exp !== 'number' || !Number.isFinite(exp)) {
    return { ok: false, reason: 'malformed' }
  }
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) return { ok: false, reason: 'malformed' }

  const issuedAt = Math.round(iat * 1000)
  const expiresAt = Math.round(exp * 1000)
  if (now >= expiresAt) return { ok: false, reason: 'expired' }
  if (issuedAt > now + IAT_SKEW_MS || (nbf !== undefined && Math.round(nbf * 1000) > now + IAT_SKEW_MS)) {
    return { ok: false, reason: 'not_yet_valid' }
  }
  return { ok: true, claims: { userId: Number(sub), issuedAt, expiresAt, sessionId: typeof sid === 'string' ? sid : null } }
}
