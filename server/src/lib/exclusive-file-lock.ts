/**
 * An exclusive lock on a file that dies with its process, like flock(2): Node has no flock, so
 * the lock is SQLite's own (a POSIX fcntl() write lock on a small, empty lock database, taken by
 * BEGIN EXCLUSIVE and held open). The kernel drops fcntl locks when the process ends, however it
 * ends (kill -9, OOM, power loss of a container), so there is no stale lock to detect and no pid
 * to trust: a pid file with a liveness check can be fooled by pid reuse and races between two
 * starters that both find it stale. SQLite also sees a second connection of the same process as
 * a competitor, which fcntl alone would not.
 *
 * Who holds the lock (pid, host, since) sits beside it in `<lock>.holder.json`: it is written
 * only by the holder, after it got the lock, and only read by the others to name it.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'

export interface LockHolder {
  pid: number
  host: string
  /** ISO 8601 instant the holder took the lock. */
  since: string
  [key: string]: unknown
}

export interface HeldLock {
  readonly path: string
  release(): void
}

export type LockAttempt = { ok: true; lock: HeldLock } | { ok: false; holder: LockHolder | null }

const isBusy = (error: unknown): boolean => {
  const errcode = (error as { errcode?: unknown } | null)?.errcode
  return typeof errcode === 'number' && (errcode & 0xff) === 5
}

export const holderFileOf = (lockPath: string): string => `${lockPath}.holder.json`

/** Reads the holder's note; null when there is none or it cannot be read. */
export function readLockHolder(lockPath: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(holderFileOf(lockPath), 'utf8')) as LockHolder
    return typeof parsed.pid === 'number' && typeof parsed.host === 'string' ? parsed : null
  } catch {
    return null
  }
}

/**
 * Takes the lock at `lockPath` without waiting. A refused attempt touches nothing: it opens the
 * existing file, fails to lock it and closes it. (Only the first attempt ever creates the file.)
 */
export function tryLockFile(lockPath: string, holder: LockHolder): LockAttempt {
  const db = new DatabaseSync(lockPath)
  try {
    db.exec('PRAGMA busy_timeout = 0')
    // EXCLUSIVE locking mode keeps the lock after the transaction too, belt and braces; the
    // transaction itself is never committed: it is the lock.
    db.exec('PRAGMA locking_mode = EXCLUSIVE')
    db.exec('BEGIN EXCLUSIVE')
  } catch (error) {
    db.close()
    if (isBusy(error)) return { ok: false, holder: readLockHolder(lockPath) }
    throw error
  }
  try {
    const note = holderFileOf(lockPath)
    const tmp = `${note}.${process.pid}.tmp`
    writeFileSync(tmp, `${JSON.stringify(holder)}\n`, { mode: 0o600 })
    renameSync(tmp, note)
  } catch (error) {
    db.close()
    throw error
  }
  let released = false
  return {
    ok: true,
    lock: {
      path: lockPath,
      release() {
        if (released) return
        released = true
        // The note stays: a stale note names a past holder only when nobody holds the lock,
        // and then nobody reads it.
        db.close()
      },
    },
  }
}

/**
 * Who holds the lock at `lockPath`, without taking it for long and without creating anything:
 * undefined when the file does not exist or nobody holds it, else the holder's note (or null).
 */
export function probeLockFile(lockPath: string): LockHolder | null | undefined {
  if (!existsSync(lockPath)) return undefined
  const attempt = tryLockFileQuietly(lockPath)
  if (attempt) {
    attempt.close()
    return undefined
  }
  return readLockHolder(lockPath)
}

/** The lock, taken without writing the holder note; null when it is held. */
function tryLockFileQuietly(lockPath: string): DatabaseSync | null {
  const db = new DatabaseSync(lockPath)
  try {
    db.exec('PRAGMA busy_timeout = 0')
    db.exec('BEGIN EXCLUSIVE')
    db.exec('ROLLBACK')
    return db
  } catch (error) {
    db.close()
    if (isBusy(error)) return null
    throw error
  }
}
