/** Login session ids: random in the cookie, hashed in the database. */
import { randomBytes } from 'node:crypto'
import { sha256Hex } from './sha256-hex.ts'

/** 32 random bytes in base64url: 43 characters. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/

export interface NewSessionId {
  /** The cookie value; never stored. */
  id: string
  /** SHA-256 (hex) of `id`: the sessions row's key. */
  hash: string
}

export function newSessionId(): NewSessionId {
  const id = randomBytes(32).toString('base64url')
  return { id, hash: hashSessionId(id) }
}

export function hashSessionId(id: string): string {
  return sha256Hex(id)
}

/** Whether a cookie value has the shape of a session id we issue: anything else is not looked up. */
export function isSessionId(value: string): boolean {
  return SESSION_ID.test(value)
}
