/**
 * One server per database, until the worker fleet exists (issue 6 item 2): the lock is taken
 * before migrations, recovery or anything else writes, and held for the server's life.
 * - PostgreSQL: pg_try_advisory_lock on a connection of its own. The lock belongs to that
 *   session, so it ends when the server dies (the server closes the socket; after kill -9 the
 *   kernel does). The holder is named from pg_stat_activity: the lock's session carries the
 *   holder's pid and host as its application_name, and backend_start says since when.
 * - SQLite: an exclusive file lock beside the database file (`<file>.lock`), the same kind as the
 *   data directory's, so two data directories pointing at one database file are refused too.
 */
import { hostname } from 'node:os'
import pg from 'pg'
import { tryLockFile, type LockHolder } from '../lib/exclusive-file-lock.ts'
import { dialectOfUrl } from './kysely-store.ts'
import { SQLITE_MEMORY, sqliteFileFromUrl } from './sqlite.ts'

export interface DatabaseLock {
  /** What is locked, for messages: the database file, or the PostgreSQL database's name. */
  readonly what: string
  release(): Promise<void>
}

/** Thrown when another server holds the lock; `holder` is what is known of it. */
export class LockHeldError extends Error {
  override readonly name = 'LockHeldError'
  readonly holder: LockHolder | null
  /** `before`: what failed first, e.g. the port that was taken. */
  constructor(what: string, holder: LockHolder | null, before?: string) {
    super(
      `${before ? `${before}. ` : ''}${what} is in use by another Taskyard server (${describeHolder(holder)}). Stop that server first: one server per data directory and per database.`,
    )
    this.holder = holder
  }
}

export function describeHolder(holder: LockHolder | null): string {
  if (!holder) return 'its pid and host are unknown'
  return `pid ${holder.pid} on host ${holder.host}, since ${holder.since}`
}

/** The advisory lock's key, as the two-int form so pg_locks shows it as (classid, objid). */
const LOCK_CLASS = 0x7461736b // 'task'
const LOCK_OBJECT = 1 // the one-server-per-database lock

/** application_name is at most 63 bytes; pid first so that a long host name never hides it. */
const applicationName = (pid: number, host: string): string => `taskyard pid=${pid} host=${host}`.slice(0, 63)

const parseApplicationName = (name: string): { pid: number; host: string } | null => {
  const m = /^taskyard pid=(\d+) host=(.*)$/.exec(name)
  return m ? { pid: Number(m[1]), host: m[2]! } : null
}

export interface LockOptions {
  now: () => number
  /**
   * Called when the PostgreSQL lock session is lost (the lock is gone with it; it is taken again
   * when PostgreSQL is back), and with a LockHeldError when another server took it meanwhile.
   */
  onLost?(error: unknown): void
  /** Called when a lost PostgreSQL lock was taken again. */
  onRelocked?(): void
  /** How often a lost PostgreSQL lock is tried again; default RELOCK_INTERVAL_MS. */
  relockIntervalMs?: number
}

/** Takes the database lock of `databaseUrl` or throws LockHeldError naming the holder. */
export async function lockDatabase(databaseUrl: string, options: LockOptions): Promise<DatabaseLock> {
  const holder: LockHolder = { pid: process.pid, host: hostname(), since: new Date(options.now()).toISOString() }
  if (dialectOfUrl(databaseUrl) === 'sqlite') {
    const file = sqliteFileFromUrl(databaseUrl)
    // An in-memory database belongs to its process: nobody else can open it.
    if (file === SQLITE_MEMORY) return { what: SQLITE_MEMORY, release: async () => undefined }
    const what = `The database ${file}`
    const attempt = tryLockFile(`${file}.lock`, holder)
    if (!attempt.ok) throw new LockHeldError(what, attempt.holder)
    return { what, release: async () => attempt.lock.release() }
  }
  return lockPostgres(databaseUrl, holder, options)
}

const RELOCK_INTERVAL_MS = 5_000

async function lockPostgres(databaseUrl: string, holder: LockHolder, options: LockOptions): Promise<DatabaseLock> {
  let released = false
  let relockTimer: NodeJS.Timeout | null = null
  let current: pg.Client

  /** One session that tries the lock; resolves with it holding the lock, or throws LockHeldError. */
  const takeLock = async (): Promise<{ client: pg.Client; what: string }> => {
    const client = new pg.Client({
      connectionString: databaseUrl,
      application_name: applicationName(holder.pid, holder.host),
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
    })
    client.on('error', () => undefined)
    await client.connect()
    try {
      const { rows } = await client.query<{ locked: boolean; db: string }>('SELECT pg_try_advisory_lock($1, $2) AS locked, current_database() AS db', [
        LOCK_CLASS,
        LOCK_OBJECT,
      ])
      const what = `The PostgreSQL database ${rows[0]?.db ?? '?'}`
      if (!rows[0]?.locked) throw new LockHeldError(what, await pgHolder(client))
      client.once('end', () => lost(client, new Error('the PostgreSQL session holding the server lock ended')))
      return { client, what }
    } catch (error) {
      await client.end().catch(() => undefined)
      throw error
    }
  }

  // The session can be lost (PostgreSQL restarted, network cut): the lock went with it. Say so,
  // and take it again as soon as PostgreSQL is back, unless another server took it meanwhile.
  const lost = (client: pg.Client, error: unknown): void => {
    if (released || client !== current) return
    options.onLost?.(error)
    const retry = (): void => {
      relockTimer = setTimeout(() => {
        relockTimer = null
        if (released) return
        takeLock().then(
          ({ client: again }) => {
            if (released) {
              void again.end().catch(() => undefined)
              return
            }
            current = again
            options.onRelocked?.()
          },
          (e: unknown) => {
            if (e instanceof LockHeldError) options.onLost?.(e)
            retry()
          },
        )
      }, options.relockIntervalMs ?? RELOCK_INTERVAL_MS)
      relockTimer.unref()
    }
    retry()
  }

  const first = await takeLock()
  current = first.client
  return {
    what: first.what,
    async release() {
      if (released) return
      released = true
      if (relockTimer) clearTimeout(relockTimer)
      // Ending the session releases the lock; no unlock statement that could itself hang.
      await current.end().catch(() => undefined)
    },
  }
}

/** The session that holds the lock, as pg_locks and pg_stat_activity show it. */
async function pgHolder(client: pg.Client): Promise<LockHolder | null> {
  const { rows } = await client.query<{ application_name: string | null; backend_start: Date | null; client_addr: string | null }>(
    `SELECT a.application_name, a.backend_start, host(a.client_addr) AS client_addr
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [LOCK_CLASS, LOCK_OBJECT],
  )
  const row = rows[0]
  if (!row) return null
  const named = parseApplicationName(row.application_name ?? '')
  return {
    pid: named?.pid ?? -1,
    host: named?.host ?? row.client_addr ?? 'unknown',
    since: row.backend_start ? row.backend_start.toISOString() : 'unknown',
  }
}
