/**
 * Counts the PostgreSQL statements the in-process server sends, and how long each waited for its
 * answer (send → result, wall time), by wrapping pg's Client.prototype.query and Pool.prototype
 * connect while on. Bench only, opt-in (TASKYARD_BENCH_TRACE=1): the wrapper costs a closure
 * and a timer read per statement. Statements are grouped by their shape (the first words up to the
 * table name), so a run's round trips can be named.
 */
import pg from 'pg'

interface Shape {
  count: number
  totalMs: number
}

export interface PgTrace {
  stop(): { statements: number; queryMs: number; connects: number; connectWaitMs: number; shapes: [string, Shape][] }
}

function shapeOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  const m = /^(select .*? from "?[a-z_]+"?|insert into "?[a-z_]+"?|update "?[a-z_]+"?|delete from "?[a-z_]+"?|with .*? as|[a-z]+( [a-z]+)?)/i.exec(flat)
  const shape = m ? m[0] : flat.slice(0, 40)
  return shape.length > 90 ? `${shape.slice(0, 60)}…${shape.slice(-25)}` : shape
}

export function startPgTrace(): PgTrace {
  const shapes = new Map<string, Shape>()
  let statements = 0
  let queryMs = 0
  let connects = 0
  let connectWaitMs = 0
  const record = (text: string, took: number): void => {
    statements += 1
    queryMs += took
    const shape = shapeOf(text)
    const s = shapes.get(shape) ?? { count: 0, totalMs: 0 }
    s.count += 1
    s.totalMs += took
    shapes.set(shape, s)
  }
  const query = pg.Client.prototype.query
  const connect = pg.Pool.prototype.connect
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string }
    const text = typeof first === 'string' ? first : (first?.text ?? '?')
    const t = performance.now()
    const result = (query as (...a: unknown[]) => unknown).apply(this, args)
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      ;(result as Promise<unknown>).then(
        () => record(text, performance.now() - t),
        () => record(text, performance.now() - t),
      )
    }
    return result
  } as typeof pg.Client.prototype.query
  pg.Pool.prototype.connect = function (this: pg.Pool, ...args: unknown[]) {
    const t = performance.now()
    const result = (connect as (...a: unknown[]) => unknown).apply(this, args)
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      ;(result as Promise<unknown>).then(
        () => {
          connects += 1
          connectWaitMs += performance.now() - t
        },
        () => undefined,
      )
    }
    return result
  } as typeof pg.Pool.prototype.connect
  return {
    stop() {
      pg.Client.prototype.query = query
      pg.Pool.prototype.connect = connect
      return { statements, queryMs, connects, connectWaitMs, shapes: [...shapes].sort((a, b) => b[1].count - a[1].count) }
    },
  }
}
