/**
 * The one transient failure callers may retry: the database could not be had in time (a write
 * lock held by another process, a PostgreSQL lock or statement timeout, a lost or refused
 * connection). The HTTP layer answers it 503 with Retry-After; the dispatcher retries the writes
 * that must become durable.
 */
import { TaskyardError } from '../domain/errors.ts'
import type { DialectName } from './store.ts'

export function databaseBusy(reason: string, cause?: unknown): TaskyardError {
  const error = new TaskyardError('database_busy', 'Database is busy', { error: reason })
  if (cause !== undefined) (error as { cause?: unknown }).cause = cause
  return error
}

export function isDatabaseBusy(error: unknown): boolean {
  return error instanceof TaskyardError && error.code === 'database_busy'
}

/** SQLITE_BUSY and its extended codes (BUSY_RECOVERY, BUSY_SNAPSHOT, BUSY_TIMEOUT). */
export function isSqliteBusy(error: unknown): boolean {
  const errcode = (error as { errcode?: unknown } | null)?.errcode
  return typeof errcode === 'number' && (errcode & 0xff) === 5
}

/** SQLSTATEs that say "not now", not "never": lock/statement timeouts, shutdowns, connection loss. */
const PG_TRANSIENT_STATES = new Set(['55P03', '57014', '40P01', '53300', '57P01', '57P02', '57P03'])
const NODE_CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
const PG_CONNECTION_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended)/

function pgReason(error: unknown): string | null {
  if (error === null || typeof error !== 'object') return null
  const { code, message } = error as { code?: unknown; message?: unknown }
  if (typeof code === 'string') {
    if (code === '55P03') return 'A row or table this request needs is locked by another transaction (lock_timeout reached)'
    if (code === '57014') return 'The statement took longer than statement_timeout'
    if (PG_TRANSIENT_STATES.has(code) || code.startsWith('08')) return `PostgreSQL cannot serve the request now (SQLSTATE ${code})`
    if (NODE_CONNECTION_CODES.has(code)) return `Cannot reach PostgreSQL (${code})`
  }
  if (typeof message === 'string' && PG_CONNECTION_MESSAGES.test(message)) return `Cannot reach PostgreSQL (${message})`
  return null
}

/** `error` as database_busy when it is a transient database failure of `dialect`, else unchanged. */
export function asDatabaseBusy(error: unknown, dialect: DialectName): unknown {
  if (isDatabaseBusy(error)) return error
  if (dialect === 'sqlite') {
    return isSqliteBusy(error) ? databaseBusy('Another process holds the SQLite write lock', error) : error
  }
  const reason = pgReason(error)
  return reason === null ? error : databaseBusy(reason, error)
}
