import { cleanup, configure } from '@testing-library/react'
import { afterEach } from 'vitest'

// findBy*/waitFor wait for what a test expects to appear; on the shared machine a page's first
// render under load can take longer than the 1 s default (a wait, not a bound on speed).
configure({ asyncUtilTimeout: 5000 })

// jsdom has no layout: what Ant Design's popups and virtual lists ask the browser for, answered
// with "nothing observed" and "no media query matches". Not a stand-in for anything under test.
class NoResizeObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
globalThis.ResizeObserver ??= NoResizeObserver as unknown as typeof ResizeObserver
if (typeof window !== 'undefined' && !window.matchMedia) {
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addEventListener() {},
      removeEventListener() {},
      addListener() {},
      removeListener() {},
      dispatchEvent: () => false,
    }) as MediaQueryList
}

// Each test starts from an empty page (popups render into document.body, outside the container).
afterEach(() => {
  cleanup()
  document.body.innerHTML = ''
})
