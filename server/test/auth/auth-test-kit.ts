/** What the auth tests share: a real store of their own, a clock they move, a temp directory. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import type { Clock } from '../../src/domain/clock.ts'
import type { Role, User } from '../../src/domain/user.ts'
import { openStore } from '../../src/store/kysely-store.ts'
import type { Store } from '../../src/store/store.ts'

export const T0 = 1_700_000_000_000

export interface FakeClock extends Clock {
  set(at: number): void
  advance(ms: number): void
}

export function fakeClock(start = T0): FakeClock {
  let at = start
  return {
    now: () => at,
    set: (to) => void (at = to),
    advance: (ms) => void (at += ms),
  }
}

/** A directory of its own, removed when the test ends. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-auth-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** A real SQLite store in a temp directory, closed when the test ends. */
export async function openAuthStore(t: TestContext): Promise<Store> {
  const dir = await tempDir(t)
  const store = await openStore({ databaseUrl: `sqlite:${path.join(dir, 'taskyard.db')}` })
  t.after(() => store.close())
  return store
}

export async function insertUser(store: Store, username: string, role: Role = 'operator', at = T0): Promise<User> {
  return store.users.insert({
    username,
    passwordHash: 'scrypt$32768$8$1$c2FsdA$aGFzaA',
    role,
    disabled: false,
    createdAt: at,
    updatedAt: at,
    credentialsChangedAt: at,
  })
}
