/** A long-lived API token as listings show it: never the token, never its hash. */
export interface ApiToken {
  id: number
  userId: number
  name: string
  /** The token's first characters ('ty_' and a few more), so its owner can tell tokens apart. */
  prefix: string
  createdAt: number
  lastUsedAt: number | null
  revokedAt: number | null
  /** null: does not expire. */
  expiresAt: number | null
}

export interface NewApiToken {
  userId: number
  name: string
  /** SHA-256 (hex) of the token. */
  tokenHash: string
  prefix: string
  createdAt: number
  expiresAt: number | null
}
