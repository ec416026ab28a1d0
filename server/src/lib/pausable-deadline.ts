/** setTimeout / clearTimeout as an object, so tests can inject timers that a fake clock drives. */
export interface DeadlineTimers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export interface PausableDeadline {
  /** Stops counting; the time spent paused is not counted. A no-op when paused or ended. */
  pause(): void
  /** Counts again from where it stopped. A no-op unless paused. */
  resume(): void
  /** Never fires after this. */
  cancel(): void
  /** Time counted so far, ms. */
  usedMs(): number
}

/**
 * Calls `onExpire` once `limitMs` of *counted* time has passed: time between pause() and resume()
 * is not counted. Starts counting at once. The clock measures; the timers only wake it up, so a
 * late timer never shortens or stretches the limit.
 */
export function startPausableDeadline(options: { limitMs: number; now: () => number; timers: DeadlineTimers; onExpire: () => void }): PausableDeadline {
  const { limitMs, now, timers, onExpire } = options
  let used = 0
  let since: number | null = now()
  let handle: unknown = null
  let ended = false

  const arm = (): void => {
    handle = timers.setTimeout(check, Math.max(0, limitMs - used))
  }
  const disarm = (): void => {
    if (handle !== null) timers.clearTimeout(handle)
    handle = null
  }
  function check(): void {
    handle = null
    if (ended || since === null) return
    const counted = used + (now() - since)
    if (counted >= limitMs) {
      ended = true
      onExpire()
      return
    }
    // Woken early (a timer that fires before its time): wait for the rest.
    handle = timers.setTimeout(check, limitMs - counted)
  }
  arm()

  return {
    pause() {
      if (ended || since === null) return
      used += now() - since
      since = null
      disarm()
    },
    resume() {
      if (ended || since !== null) return
      since = now()
      arm()
    },
    cancel() {
      ended = true
      disarm()
    },
    usedMs: () => used + (since === null ? 0 : now() - since),
  }
}
