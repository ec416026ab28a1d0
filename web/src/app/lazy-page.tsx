import { lazy, type ComponentType } from 'react'

export type LazyPage = ComponentType & { preload(): Promise<ComponentType> }

/**
 * A page in its own chunk that can be fetched before it is rendered. Once loaded it renders
 * directly; React.lazy alone would suspend on first render even when the chunk is already here,
 * and React holds a revealed Suspense boundary back for up to 300 ms (its fallback throttle).
 */
export function lazyPage(load: () => Promise<ComponentType>): LazyPage {
  let loaded: ComponentType | null = null
  let pending: Promise<ComponentType> | null = null
  const preload = (): Promise<ComponentType> =>
    (pending ??= load().then(
      (c) => (loaded = c),
      (e: unknown) => {
        pending = null // a failed fetch (a new deploy, a dropped connection) is tried again next time
        throw e
      },
    ))
  const Lazy = lazy(async () => ({ default: await preload() }))
  function Page() {
    const C = loaded
    return C ? <C /> : <Lazy />
  }
  return Object.assign(Page, { preload })
}
