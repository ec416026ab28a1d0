import { once } from 'node:events'
import type { FastifyReply, FastifyRequest } from 'fastify'

export interface SseEvent {
  id?: string
  /** One line: callers send JSON, whose encoding escapes CR and LF, so data cannot forge fields. */
  data: string
}

const HEARTBEAT_MS = 15_000

/**
 * Streams events from `source` as text/event-stream. Pull-based: the next chunk is read only once
 * the socket took the last one, so a slow or dead client costs no memory and never slows a run.
 * The source is aborted when the client goes away.
 */
export async function sendSse<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  source: (signal: AbortSignal) => AsyncIterable<T>,
  toEvent: (item: T) => SseEvent,
  /** Ends the stream from outside, e.g. when the reader's credentials are revoked. */
  end?: AbortSignal,
): Promise<FastifyReply> {
  const abort = new AbortController()
  const onEnd = (): void => abort.abort()
  if (end) {
    if (end.aborted) abort.abort()
    else end.addEventListener('abort', onEnd, { once: true })
  }
  const res = reply.raw
  reply.hijack()
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  })
  const onClose = (): void => abort.abort()
  // The response's close, not the request's: a request closes as soon as its (empty) body is read.
  res.on('close', onClose)
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS)
  try {
    for await (const item of source(abort.signal)) {
      if (abort.signal.aborted) break
      const e = toEvent(item)
      const frame = (e.id !== undefined ? `id: ${e.id}\n` : '') + `data: ${e.data}\n\n`
      // The signal option removes the drain listener on abort (an AbortError, caught below).
      if (!res.write(frame)) await once(res, 'drain', { signal: abort.signal })
    }
  } catch (error) {
    if (!abort.signal.aborted) request.log.error({ err: error }, 'log stream failed')
  } finally {
    clearInterval(heartbeat)
    res.off('close', onClose)
    end?.removeEventListener('abort', onEnd)
    // Whatever ended the stream (the source, an error, the client), what the source still waits
    // on (the run's end, a follower) is released now, not when the run ends.
    abort.abort()
    res.end()
  }
  return reply
}
