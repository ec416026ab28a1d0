/** Valid users, sessions, tokens and audit entries for the store's auth tables. */
import { DatabaseSync } from 'node:sqlite'
import pg from 'pg'
import type { NewUser, User } from '../../src/domain/user.ts'
import { sqliteFileFromUrl } from '../../src/store/sqlite.ts'
import type { ApiToken, NewApiToken } from '../../src/domain/api-token.ts'
import type { NewAuditEntry } from '../../src/domain/audit-entry.ts'
import type { Session } from '../../src/domain/session.ts'
import type { DialectName, Store } from '../../src/store/store.ts'
import { T0 } from './store-fixtures.ts'

export function newUser(overrides: Partial<NewUser> = {}): NewUser {
  return {
    username: 'alice',
    passwordHash: 'scrypt$32768$8$1$c2FsdA$aGFzaA',
    role: 'operator',
    disabled: false,
    createdAt: T0,
    updatedAt: T0,
    credentialsChangedAt: T0,
    ...overrides,
  }
}

/** The User that inserting `user` must return: everything but the hash. */
export function userFrom(user: NewUser, id: number): User {
  const { passwordHash: _hash, ...rest } = user
  return { id, ...rest }
}

export function newSession(userId: number, overrides: Partial<Session> = {}): Session {
  return {
    id: 'a'.repeat(64),
    userId,
    createdAt: T0,
    expiresAt: T0 + 7 * 24 * 3_600_000,
    lastSeenAt: T0,
    ...overrides,
  }
}

export function newApiToken(userId: number, overrides: Partial<NewApiToken> = {}): NewApiToken {
  return {
    userId,
    name: 'ci',
    tokenHash: 'b'.repeat(64),
    prefix: 'ty_AbCdEfGh',
    createdAt: T0,
    expiresAt: null,
    ...overrides,
  }
}

/** The ApiToken that inserting `token` must return: no hash, never used, not revoked. */
export function apiTokenFrom(token: NewApiToken, id: number): ApiToken {
  const { tokenHash: _hash, ...rest } = token
  return { id, ...rest, lastUsedAt: null, revokedAt: null }
}

export function newAuditEntry(overrides: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    at: T0,
    actorUserId: 1,
    actorUsername: 'alice',
    action: 'task.create',
    targetType: 'task',
    targetId: '7',
    details: { name: 'nightly-report' },
    ip: '192.0.2.10',
    ...overrides,
  }
}

export async function insertUser(store: Store, overrides: Partial<NewUser> = {}): Promise<User> {
  return store.users.insert(newUser(overrides))
}

/** Runs SQL the contract does not offer, on a connection of its own, as an operator would. */
export async function execRaw(dialect: DialectName, databaseUrl: string, statement: string): Promise<void> {
  if (dialect === 'sqlite') {
    const db = new DatabaseSync(sqliteFileFromUrl(databaseUrl))
    try {
      db.exec('PRAGMA busy_timeout = 5000')
      db.exec('PRAGMA foreign_keys = ON')
      db.exec(statement)
    } finally {
      db.close()
    }
    return
  }
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}
