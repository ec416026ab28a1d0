import type { Timers } from '../../src/scheduler/scheduler.ts'

/** A clock the test moves by hand; `now` reads it as a Clock does. */
export interface FakeClock {
  t: number
  now(): number
}

export function fakeClock(t: number): FakeClock {
  const clock = { t, now: () => clock.t }
  return clock
}

/** Timers that fire only when the test moves the clock to them: no test waits for real time. */
export function fakeTimers(clock: { t: number }) {
  let nextId = 1
  const pending = new Map<number, { at: number; fn: () => void }>()
  let onArm: ((at: number) => void) | null = null
  const timers: Timers = {
    setTimeout(fn, ms) {
      const id = nextId++
      pending.set(id, { at: clock.t + ms, fn })
      onArm?.(clock.t + ms)
      return id
    },
    clearTimeout: (id) => void pending.delete(id as number),
  }
  return {
    timers,
    pendingCount: () => pending.size,
    /** When each armed timer is due, earliest first. */
    dueTimes: () => [...pending.values()].map((p) => p.at).sort((a, b) => a - b),
    /** Resolves with the due time of the next timer armed from now on. */
    nextArm(): Promise<number> {
      return new Promise((resolve) => {
        onArm = (at) => {
          onArm = null
          resolve(at)
        }
      })
    },
    /**
     * The wall clock is set by `deltaMs` (negative: back). Armed timers keep their delays, as
     * real ones do (they count elapsed time, not the wall clock), so they move with it.
     */
    setClockBy(deltaMs: number): void {
      clock.t += deltaMs
      for (const p of pending.values()) p.at += deltaMs
    },
    /** Moves the clock to the earliest timer (never back) and fires it; false when none is armed. */
    fireNext(): boolean {
      const [id, next] = [...pending.entries()].sort((a, b) => a[1].at - b[1].at)[0] ?? []
      if (id === undefined || !next) return false
      pending.delete(id)
      clock.t = Math.max(clock.t, next.at)
      next.fn()
      return true
    },
  }
}
