/**
 * Follows a run log over Server-Sent Events. The server's event ids are byte offsets of the log
 * (the end of each chunk), so the text of every event can be placed exactly: a reconnect that
 * repeats bytes already shown is trimmed, and nothing is lost.
 *
 * Two kinds of reconnect: the browser's own (readyState CONNECTING), which resends the last id as
 * Last-Event-ID and resumes where it stopped; and ours, after the browser gave up (CLOSED), which
 * cannot set that header and so starts from byte 0 — the offsets make it skip what was shown.
 */

/** The part of EventSource this client uses, so tests can drive it. */
export interface EventSourceLike {
  readonly readyState: number
  onmessage: ((e: { data: string; lastEventId: string }) => void) | null
  onerror: ((e: unknown) => void) | null
  onopen: ((e: unknown) => void) | null
  close(): void
}

export type LogStreamState = 'connecting' | 'open' | 'reconnecting' | 'complete' | 'closed'

export interface LogStreamOptions {
  url: string
  onText(text: string): void
  onState?(state: LogStreamState): void
  createEventSource?: (url: string) => EventSourceLike
  /** Delay before our own reconnect once the browser gave up. */
  retryMs?: number
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
}

const CLOSED = 2
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * The new part of a chunk that ends at byte `end`, given that bytes before `shown` were shown.
 * Offsets always fall on whole characters (the server holds split characters back).
 */
export function unseenText(text: string, end: number, shown: number): string {
  if (end <= shown) return ''
  const bytes = encoder.encode(text)
  const start = end - bytes.length
  if (start >= shown) return text
  return decoder.decode(bytes.subarray(shown - start))
}

export interface LogStream {
  close(): void
  /** Bytes of the log shown so far. */
  offset(): number
}

export function openLogStream(options: LogStreamOptions): LogStream {
  const create = options.createEventSource ?? ((url: string) => new EventSource(url, { withCredentials: true }) as unknown as EventSourceLike)
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms))
  const clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>))
  const retryMs = options.retryMs ?? 2000
  let shown = 0
  let done = false
  let source: EventSourceLike | null = null
  let timer: unknown = null
  const state = (s: LogStreamState): void => options.onState?.(s)

  const connect = (): void => {
    state('connecting')
    const es = create(options.url)
    source = es
    es.onopen = () => state('open')
    es.onmessage = (e) => {
      let data: { logs?: unknown; is_complete?: unknown }
      try {
        data = JSON.parse(e.data) as typeof data
      } catch {
        return
      }
      const text = typeof data.logs === 'string' ? data.logs : ''
      const end = Number(e.lastEventId)
      if (Number.isFinite(end) && e.lastEventId !== '') {
        const fresh = unseenText(text, end, shown)
        shown = Math.max(shown, end)
        if (fresh) options.onText(fresh)
      } else if (text) {
        options.onText(text)
      }
      if (data.is_complete === true) {
        // The server ends the response now; without close() the browser would reconnect.
        done = true
        es.close()
        state('complete')
      }
    }
    es.onerror = () => {
      if (done) return
      if (es.readyState === CLOSED) {
        es.close()
        state('reconnecting')
        timer = setTimer(() => {
          timer = null
          if (!done) connect()
        }, retryMs)
      } else {
        state('reconnecting')
      }
    }
  }
  connect()
  return {
    close() {
      done = true
      if (timer !== null) clearTimer(timer)
      source?.close()
      state('closed')
    },
    offset: () => shown,
  }
}
