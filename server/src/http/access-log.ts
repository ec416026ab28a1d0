/**
 * Access logging that costs little at hundreds of requests a second (issue 10). Fastify's own
 * request logging writes two JSON lines per request at info (`incoming request`, `request
 * completed`); at 500 requests/s that is a thousand lines a second and a visible share of the
 * server's CPU. Here, at debug (or trace) every request keeps both lines, as before; at info a
 * request is counted, and one line per interval summarises them (how many, by status class, mean
 * and slowest time). An answer of 500 or more is still logged on its own at info: an operator
 * looking for a failure finds it, with its request id.
 */
import type { FastifyInstance } from 'fastify'

/** How often the summary line is written (when there was a request), by default. */
export const ACCESS_LOG_SUMMARY_MS = 60_000

interface Window {
  requests: number
  statuses: Record<string, number>
  totalMs: number
  maxMs: number
  since: number
}

/** Whether the logger writes debug lines (pino's level names; 'silent' and the rest do not). */
const detailed = (level: string): boolean => level === 'debug' || level === 'trace'

const empty = (now: number): Window => ({ requests: 0, statuses: {}, totalMs: 0, maxMs: 0, since: now })

/** Registers the hooks on `app`, whose logger must be a real one (not `logger: false`). */
export function registerAccessLog(app: FastifyInstance, summaryMs: number = ACCESS_LOG_SUMMARY_MS): void {
  let window = empty(Date.now())
  const flush = (): void => {
    const now = Date.now()
    if (window.requests > 0) {
      app.log.info(
        {
          requests: window.requests,
          statuses: window.statuses,
          meanMs: Math.round((window.totalMs / window.requests) * 100) / 100,
          maxMs: Math.round(window.maxMs * 100) / 100,
          periodMs: now - window.since,
        },
        'requests completed',
      )
    }
    window = empty(now)
  }
  const timer = setInterval(flush, summaryMs)
  timer.unref()
  app.addHook('onClose', async () => {
    clearInterval(timer)
    flush()
  })

  app.addHook('onRequest', async (request) => {
    if (detailed(request.log.level)) request.log.debug({ req: request }, 'incoming request')
  })
  app.addHook('onResponse', async (request, reply) => {
    const ms = reply.elapsedTime
    const status = reply.statusCode
    if (detailed(request.log.level)) {
      request.log.debug({ res: reply, responseTime: ms }, 'request completed')
      return
    }
    if (status >= 500) request.log.info({ req: request, res: reply, responseTime: ms }, 'request completed')
    const statusClass = `${Math.floor(status / 100)}xx`
    window.requests += 1
    window.statuses[statusClass] = (window.statuses[statusClass] ?? 0) + 1
    window.totalMs += ms
    if (ms > window.maxMs) window.maxMs = ms
  })
}
