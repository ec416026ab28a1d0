import { describe, expect, it } from 'vitest'
import { openLogStream, unseenText, type EventSourceLike } from './log-stream'

class FakeSource implements EventSourceLike {
  readyState = 0
  onmessage: EventSourceLike['onmessage'] = null
  onerror: EventSourceLike['onerror'] = null
  onopen: EventSourceLike['onopen'] = null
  closed = false
  constructor(readonly url: string) {}
  open() {
    this.readyState = 1
    this.onopen?.({})
  }
  /** One server event: the chunk and the byte offset where it ends. */
  send(text: string, end: number, complete = false) {
    this.onmessage?.({ data: JSON.stringify({ logs: text, is_complete: complete }), lastEventId: String(end) })
  }
  fail(readyState: 0 | 2) {
    this.readyState = readyState
    this.onerror?.({})
  }
  close() {
    this.closed = true
    this.readyState = 2
  }
}

function harness() {
  const sources: FakeSource[] = []
  const timers: (() => void)[] = []
  let text = ''
  const states: string[] = []
  const stream = openLogStream({
    url: '/api/tasks/1/executions/2/logs?stream=true',
    onText: (t) => {
      text += t
    },
    onState: (s) => states.push(s),
    createEventSource: (url) => {
      const s = new FakeSource(url)
      sources.push(s)
      return s
    },
    setTimer: (fn) => timers.push(fn),
    clearTimer: () => undefined,
  })
  return { sources, timers, stream, states, text: () => text }
}

const bytes = (s: string) => new TextEncoder().encode(s).length

describe('the live log client', () => {
  it('appends each event once, in order', () => {
    const h = harness()
    h.sources[0]!.open()
    h.sources[0]!.send('one\n', 4)
    h.sources[0]!.send('two\n', 8)
    expect(h.text()).toBe('one\ntwo\n')
    expect(h.stream.offset()).toBe(8)
  })

  it("survives the browser's own reconnect (Last-Event-ID): nothing lost, nothing repeated", () => {
    const h = harness()
    const s = h.sources[0]!
    s.open()
    s.send('one\n', 4)
    s.fail(0) // CONNECTING: the browser reconnects and resends id 4 itself
    expect(h.states.at(-1)).toBe('reconnecting')
    s.open()
    s.send('two\n', 8)
    expect(h.text()).toBe('one\ntwo\n')
    expect(h.sources).toHaveLength(1)
  })

  it('after the browser gave up, reconnects itself and trims what the replay repeats, even inside a chunk and a multi-byte character', () => {
    const h = harness()
    const first = 'héllo\n中'
    h.sources[0]!.open()
    h.sources[0]!.send(first, bytes(first))
    h.sources[0]!.fail(2) // CLOSED
    expect(h.sources[0]!.closed).toBe(true)
    expect(h.timers).toHaveLength(1)
    h.timers[0]!()
    const again = h.sources[1]!
    expect(again.url).toBe('/api/tasks/1/executions/2/logs?stream=true')
    again.open()
    // The replay starts at byte 0: one chunk overlaps what was shown and goes beyond it.
    const replay = first + '文 world\n'
    again.send(replay, bytes(replay))
    again.send('tail\n', bytes(replay) + 5)
    expect(h.text()).toBe('héllo\n中文 world\ntail\n')
  })

  it('closes when the run is complete instead of letting the browser reconnect', () => {
    const h = harness()
    h.sources[0]!.open()
    h.sources[0]!.send('done\n', 5, true)
    expect(h.sources[0]!.closed).toBe(true)
    expect(h.states.at(-1)).toBe('complete')
    h.sources[0]!.fail(2)
    expect(h.timers).toHaveLength(0)
  })

  it('computes the unseen part of a chunk from byte offsets', () => {
    expect(unseenText('abc', 3, 0)).toBe('abc')
    expect(unseenText('abc', 3, 3)).toBe('')
    expect(unseenText('abcdef', 10, 7)).toBe('def')
    expect(unseenText('中文', 6, 3)).toBe('文')
  })
})
