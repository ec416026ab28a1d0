/** Long-lived API tokens for scripts and CI: shown once, stored as a hash. */
import { randomBase62 } from './random-base62.ts'
import { sha256Hex } from './sha256-hex.ts'

/**
 * 'ty_' tells our tokens apart from JWTs on the same Authorization header, and lets secret
 * scanners recognise a leaked one. 40 base62 characters: about 238 random bits.
 */
export const API_TOKEN_PREFIX = 'ty_'
const API_TOKEN = /^ty_[0-9A-Za-z]{40}$/
/** 'ty_' and 8 characters: enough to tell a user's tokens apart, far too few to guess the rest. */
const SHOWN_PREFIX_LENGTH = API_TOKEN_PREFIX.length + 8

export interface NewApiTokenSecret {
  /** Shown to its owner once, at creation; never stored. */
  token: string
  /** SHA-256 (hex) of the token: what the database keeps and looks up. */
  hash: string
  /** Its first characters, kept for listings. */
  prefix: string
}

export function newApiToken(): NewApiTokenSecret {
  const token = API_TOKEN_PREFIX + randomBase62(40)
  return { token, hash: hashToken(token), prefix: token.slice(0, SHOWN_PREFIX_LENGTH) }
}

export function hashToken(token: string): string {
  return sha256Hex(token)
}

/** Whether a bearer credential is an API token (rather than a JWT) in the exact shape we issue. */
export function isApiToken(value: string): boolean {
  return API_TOKEN.test(value)
}
