import { act, fireEvent, render, screen } from '@testing-library/react'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { i18n } from '../i18n'
import { LogViewer } from './LogViewer'

/** The browser's EventSource, driven by the test: the server's events, its drops and retries. */
class TestEventSource {
  static all: TestEventSource[] = []
  readyState = 0
  closed = false
  onmessage: ((e: { data: string; lastEventId: string }) => void) | null = null
  onerror: ((e: unknown) => void) | null = null
  onopen: ((e: unknown) => void) | null = null
  constructor(readonly url: string) {
    TestEventSource.all.push(this)
  }
  open() {
    this.readyState = 1
    this.onopen?.({})
  }
  /** One server event: `logs` text ending at byte `end` of the log. */
  send(logs: string, end: number, complete = false) {
    this.onmessage?.({ data: JSON.stringify({ logs, is_complete: complete }), lastEventId: String(end) })
  }
  /** The connection drops; the browser will retry by itself (CONNECTING) or has given up (CLOSED). */
  drop(state: 0 | 2) {
    this.readyState = state
    this.onerror?.({})
  }
  close() {
    this.closed = true
    this.readyState = 2
  }
}

const bytes = (s: string) => new TextEncoder().encode(s).length
/** Lets the one-render-per-frame batching run. */
const frame = () => act(() => new Promise((r) => requestAnimationFrame(() => r(undefined))))
const lines = () => [...document.querySelectorAll('.log-line')].map((el) => el.textContent)
const view = () => screen.getByTestId('log-view')

// jsdom lays nothing out: the log's viewport gets its real height, each line its real height.
const LINE = 18
const restore: (() => void)[] = []
function shim<K extends keyof HTMLElement>(key: K, get: (el: HTMLElement) => number | undefined) {
  const original = Object.getOwnPropertyDescriptor(Element.prototype, key) ?? Object.getOwnPropertyDescriptor(HTMLElement.prototype, key)
  Object.defineProperty(HTMLElement.prototype, key, {
    configurable: true,
    get(this: HTMLElement) {
      return get(this) ?? (original?.get?.call(this) as number)
    },
  })
  restore.push(() => original && Object.defineProperty(HTMLElement.prototype, key, original))
}
beforeAll(async () => {
  await i18n.changeLanguage('en')
  globalThis.EventSource = TestEventSource as unknown as typeof EventSource
  shim('clientHeight', (el) => (el.dataset.testid === 'log-view' ? 420 : undefined))
  shim('clientWidth', (el) => (el.dataset.testid === 'log-view' ? 800 : undefined))
  shim('scrollHeight', (el) =>
    el.dataset.testid === 'log-view' ? Number(el.firstElementChild?.getAttribute('style')?.match(/height: (\d+)px/)?.[1] ?? 0) : undefined,
  )
  const rect = HTMLElement.prototype.getBoundingClientRect
  HTMLElement.prototype.getBoundingClientRect = function (this: HTMLElement) {
    return this.classList.contains('log-line')
      ? ({ width: 800, height: LINE, top: 0, left: 0, right: 800, bottom: LINE, x: 0, y: 0 } as DOMRect)
      : rect.call(this)
  }
  restore.push(() => (HTMLElement.prototype.getBoundingClientRect = rect))
  // jsdom elements have no scrollTo; the browser's moves the view and fires a scroll event.
  HTMLElement.prototype.scrollTo = function (this: HTMLElement, options?: ScrollToOptions | number) {
    const top = typeof options === 'object' ? options.top : undefined
    if (top === undefined) return
    this.scrollTop = Math.max(0, Math.min(top, this.scrollHeight - this.clientHeight))
    // As in a browser, the scroll event comes later, not inside the call.
    setTimeout(() => this.dispatchEvent(new Event('scroll')), 0)
  } as HTMLElement['scrollTo']
})
afterAll(() => restore.forEach((r) => r()))
beforeEach(() => {
  TestEventSource.all = []
})

function start() {
  render(<LogViewer url="/api/tasks/7/executions/3/logs?stream=true" fileName="task-7-run-3.log" />)
  const es = TestEventSource.all.at(-1)!
  act(() => es.open())
  return es
}

describe('LogViewer', () => {
  it('streams the log live from the SSE route it is given, and closes once the log is complete', async () => {
    const es = start()
    expect(es.url).toBe('/api/tasks/7/executions/3/logs?stream=true')
    expect(screen.getByTestId('log-state').dataset.state).toBe('open')
    act(() => es.send('first\nsec', bytes('first\nsec')))
    await frame()
    expect(lines()).toEqual(['first', 'sec'])
    act(() => es.send('ond\n', bytes('first\nsecond\n'), true))
    await frame()
    expect(lines()).toEqual(['first', 'second'])
    expect(screen.getByTestId('log-state').dataset.state).toBe('complete')
    expect(es.closed).toBe(true)
    expect(TestEventSource.all).toHaveLength(1)
  })

  it('renders colours as spans and every byte as text: no link from OSC-8, no element from HTML', async () => {
    const es = start()
    const text =
      '\u001b[31mred\u001b[0m plain \u001b]8;;javascript:alert(1)\u0007click me\u001b]8;;\u0007 <img src=x onerror=alert(1)><script>alert(2)</script>\n'
    act(() => es.send(text, bytes(text)))
    await frame()
    const line = document.querySelector('.log-line')!
    expect(line.textContent).toBe('red plain click me <img src=x onerror=alert(1)><script>alert(2)</script>')
    expect(line.querySelector('a, img, script')).toBeNull()
    const red = [...line.querySelectorAll('span')].find((s) => s.textContent === 'red')!
    expect(red.style.color).toBe('rgb(187, 0, 0)')
  })

  it('neither loses nor repeats a line when the connection drops and resumes', async () => {
    const es = start()
    act(() => es.send('one\ntwo\n', 8))
    // The browser reconnects by itself with Last-Event-ID: 8; a server may resend from an earlier
    // byte, so the client places the chunk by its end offset and keeps only what is new.
    act(() => es.drop(0))
    expect(screen.getByTestId('log-state').dataset.state).toBe('reconnecting')
    act(() => es.open())
    act(() => es.send('two\nthree\n', 14))
    await frame()
    expect(lines()).toEqual(['one', 'two', 'three'])
    // The browser gives up: the viewer reconnects itself (from byte 0, as it cannot set the header).
    act(() => es.drop(2))
    await act(() => new Promise((r) => setTimeout(r, 2100)))
    const again = TestEventSource.all.at(-1)!
    expect(again).not.toBe(es)
    act(() => again.open())
    act(() => again.send('one\ntwo\nthree\nfour\n', 19))
    await frame()
    expect(lines()).toEqual(['one', 'two', 'three', 'four'])
  })

  it('searches what the lines show, counting matches as lines arrive, and steps through them', async () => {
    const es = start()
    const text = Array.from({ length: 500 }, (_, i) => `\u001b[32mrow ${i}\u001b[0m`).join('\n') + '\n'
    act(() => es.send(text, bytes(text)))
    await frame()
    const step = (which: 'prev' | 'next') => screen.getByTestId(`log-${which}`)
    // Always shown; disabled, saying why, until a search finds something.
    expect(step('next').querySelector('button')!.disabled).toBe(true)
    expect(step('next').dataset.why).toBe('Unavailable: search the log first.')
    const search = screen.getByLabelText('Search the log')
    fireEvent.change(search, { target: { value: 'ROW 1' } })
    // row 1, row 10–19, row 100–199: 111 lines, case-insensitive.
    expect(screen.getByText('1 / 111 matches')).toBeTruthy()
    expect(step('next').querySelector('button')!.disabled).toBe(false)
    fireEvent.click(step('next').querySelector('button')!)
    expect(screen.getByText('2 / 111 matches')).toBeTruthy()
    fireEvent.click(step('prev').querySelector('button')!)
    fireEvent.click(step('prev').querySelector('button')!)
    expect(screen.getByText('111 / 111 matches')).toBeTruthy()
    // Stepping to a match stopped following.
    expect(screen.getByTestId('log-follow').getAttribute('aria-checked')).toBe('false')
    // The escape codes are not searched: "32m" is in every raw line, in none as shown.
    fireEvent.change(search, { target: { value: '32m' } })
    expect(screen.getByText('No matches')).toBeTruthy()
    expect(step('prev').dataset.why).toBe('Unavailable: no line matches the search.')
    // New lines are searched as they arrive.
    fireEvent.change(search, { target: { value: 'late' } })
    act(() => es.send('late line\n', bytes(text) + 10))
    await frame()
    expect(screen.getByText('1 / 1 matches')).toBeTruthy()
  })

  it('wraps long lines on demand', async () => {
    const es = start()
    act(() => es.send('a long line\n', 12))
    await frame()
    expect(document.querySelector<HTMLElement>('.log-line')!.style.whiteSpace).toBe('pre')
    fireEvent.click(screen.getByLabelText('Wrap lines'))
    expect(document.querySelector<HTMLElement>('.log-line')!.style.whiteSpace).toBe('pre-wrap')
  })

  it('downloads the log as received, escape codes and all', async () => {
    const es = start()
    const text = '\u001b[1mbold\u001b[0m\nsecond\n'
    act(() => es.send(text, bytes(text)))
    await frame()
    let saved: Blob | null = null
    let name = ''
    URL.createObjectURL = (b: Blob) => ((saved = b), 'blob:log')
    URL.revokeObjectURL = () => undefined
    const click = HTMLAnchorElement.prototype.click
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      name = this.download
    }
    fireEvent.click(screen.getByRole('button', { name: /Download/ }))
    HTMLAnchorElement.prototype.click = click
    expect(name).toBe('task-7-run-3.log')
    expect(await saved!.text()).toBe(text)
  })
})
