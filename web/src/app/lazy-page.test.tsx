import { act, render } from '@testing-library/react'
import { Suspense } from 'react'
import { describe, expect, it } from 'vitest'
import { lazyPage } from './lazy-page'

describe('lazyPage', () => {
  it('renders a preloaded page at once, with no fallback', async () => {
    const Page = lazyPage(async () => () => <p>the page</p>)
    await Page.preload()
    const { container } = render(
      <Suspense fallback={<p>loading</p>}>
        <Page />
      </Suspense>,
    )
    // Synchronously, before any promise settles: React.lazy alone would show the fallback here.
    expect(container.textContent).toBe('the page')
  })

  it('suspends when not preloaded, then shows the page', async () => {
    let resolve!: (c: () => React.ReactNode) => void
    const Page = lazyPage(() => new Promise((r) => (resolve = r)))
    const { container } = render(
      <Suspense fallback={<p>loading</p>}>
        <Page />
      </Suspense>,
    )
    expect(container.textContent).toBe('loading')
    await act(async () => resolve(() => <p>the page</p>))
    expect(container.textContent).toBe('the page')
  })

  it('fetches once, however often it is asked, and again after a failure', async () => {
    let calls = 0
    const Page = lazyPage(async () => {
      calls++
      if (calls === 1) throw new Error('network down')
      return () => <p>the page</p>
    })
    await expect(Page.preload()).rejects.toThrow('network down')
    await Promise.all([Page.preload(), Page.preload()])
    expect(calls).toBe(2)
  })
})
