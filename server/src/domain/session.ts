/** A login session. The cookie holds a random id; the database only its hash. */
export interface Session {
  /** SHA-256 (hex) of the cookie value: a leaked database does not hand out live cookies. */
  id: string
  userId: number
  createdAt: number
  /** Absolute: the session is dead from this instant on. */
  expiresAt: number
  lastSeenAt: number
}
