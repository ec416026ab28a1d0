import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fakeClock, fakeTimers } from '../../test/helpers/fake-timers.ts'
import { startPausableDeadline } from './pausable-deadline.ts'

/** Moves the clock to `t`, firing each timer due on the way in order. */
function advance(clock: { t: number }, timers: ReturnType<typeof fakeTimers>, t: number): void {
  for (;;) {
    const next = timers.dueTimes()[0]
    if (next === undefined || next > t) break
    timers.fireNext()
  }
  clock.t = t
}

describe('startPausableDeadline', () => {
  it('fires once the limit of counted time has passed, not before', () => {
    const clock = fakeClock(1000)
    const timers = fakeTimers(clock)
    let fired = 0
    startPausableDeadline({ limitMs: 500, now: clock.now, timers: timers.timers, onExpire: () => fired++ })
    advance(clock, timers, 1499)
    assert.equal(fired, 0)
    advance(clock, timers, 1500)
    assert.equal(fired, 1)
    advance(clock, timers, 5000)
    assert.equal(fired, 1, 'once only')
  })

  it('does not count paused time', () => {
    const clock = fakeClock(0)
    const timers = fakeTimers(clock)
    let firedAt: number | null = null
    const d = startPausableDeadline({ limitMs: 1000, now: clock.now, timers: timers.timers, onExpire: () => (firedAt = clock.t) })
    advance(clock, timers, 400)
    d.pause()
    assert.equal(timers.pendingCount(), 0, 'nothing armed while paused')
    advance(clock, timers, 10_000)
    assert.equal(firedAt, null)
    assert.equal(d.usedMs(), 400)
    d.resume()
    advance(clock, timers, 10_599)
    assert.equal(firedAt, null)
    advance(clock, timers, 10_600)
    assert.equal(firedAt, 10_600)
  })

  it('never fires after cancel, and a pause or resume out of turn changes nothing', () => {
    const clock = fakeClock(0)
    const timers = fakeTimers(clock)
    let fired = 0
    const d = startPausableDeadline({ limitMs: 100, now: clock.now, timers: timers.timers, onExpire: () => fired++ })
    d.resume()
    advance(clock, timers, 50)
    d.pause()
    d.pause()
    advance(clock, timers, 80)
    assert.equal(d.usedMs(), 50)
    d.cancel()
    d.resume()
    advance(clock, timers, 1000)
    assert.equal(fired, 0)
  })
})
