import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LoginThrottle } from '../../src/auth/login-throttle.ts'
import { T0 } from './auth-test-kit.ts'

const MIN = 60_000
const IP = '198.51.100.7'

/** `n` failures for `username` from `ip`, each as soon as it is allowed; returns the last instant. */
function failAsAllowed(throttle: LoginThrottle, n: number, username: string, ip: string, start: number): number {
  let now = start
  for (let i = 0; i < n; i++) {
    const decision = throttle.check(username, ip, now)
    if (!decision.allowed) now += decision.retryAfterMs
    assert.deepEqual(throttle.check(username, ip, now), { allowed: true })
    throttle.fail(username, ip, now)
  }
  return now
}

describe('login throttle', () => {
  it('lets the first five failures of a username through at once', () => {
    const throttle = new LoginThrottle()
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(throttle.check('alice', IP, T0), { allowed: true })
      throttle.fail('alice', IP, T0)
    }
    assert.deepEqual(throttle.check('alice', IP, T0), { allowed: false, retryAfterMs: 1000 })
  })

  it('then doubles the wait after each failure: 1 s, 2 s, 4 s … counted from the last failure', () => {
    const throttle = new LoginThrottle()
    let now = failAsAllowed(throttle, 5, 'alice', IP, T0)
    const waits: number[] = []
    for (let i = 0; i < 6; i++) {
      const decision = throttle.check('alice', IP, now)
      assert.equal(decision.allowed, false)
      if (decision.allowed) return
      waits.push(decision.retryAfterMs)
      now += decision.retryAfterMs
      throttle.fail('alice', IP, now)
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 16000, 32000])
    // Part of the wait already passed: only the rest remains.
    assert.deepEqual(throttle.check('alice', IP, now + 60_000), { allowed: false, retryAfterMs: 4000 })
  })

  it('never asks for more than 15 minutes', () => {
    const throttle = new LoginThrottle()
    const now = failAsAllowed(throttle, 40, 'alice', IP, T0)
    assert.deepEqual(throttle.check('alice', IP, now), { allowed: false, retryAfterMs: 15 * MIN })
  })

  it('forgets a username’s failures after 15 quiet minutes', () => {
    const throttle = new LoginThrottle()
    failAsAllowed(throttle, 4, 'alice', IP, T0)
    throttle.fail('alice', IP, T0 + 1)
    assert.equal(throttle.check('alice', IP, T0 + 1).allowed, false)
    // 15 minutes after the wait (1 s) ended, the count starts over: five more free failures.
    const later = T0 + 1 + 1000 + 15 * MIN
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(throttle.check('alice', IP, later), { allowed: true })
      throttle.fail('alice', IP, later)
    }
    assert.deepEqual(throttle.check('alice', IP, later), { allowed: false, retryAfterMs: 1000 })
  })

  it('keeps counting while an attacker keeps coming back as soon as allowed', () => {
    const throttle = new LoginThrottle()
    const now = failAsAllowed(throttle, 20, 'alice', IP, T0)
    // After the capped wait the attacker tries again: still 15 minutes each, never back to free.
    throttle.fail('alice', IP, now + 15 * MIN)
    assert.deepEqual(throttle.check('alice', IP, now + 15 * MIN), { allowed: false, retryAfterMs: 15 * MIN })
  })

  it('clears the username on success, counting case and spaces as the same name', () => {
    const throttle = new LoginThrottle()
    const now = failAsAllowed(throttle, 5, 'Alice', IP, T0)
    assert.equal(throttle.check(' alice ', '203.0.113.1', now).allowed, false)
    throttle.succeed('ALICE', IP, now)
    assert.deepEqual(throttle.check('alice', '203.0.113.1', now), { allowed: true })
  })

  it('counts one address across usernames (password spraying), after 20 failures', () => {
    const throttle = new LoginThrottle()
    for (let i = 0; i < 20; i++) {
      assert.deepEqual(throttle.check(`user${i}`, IP, T0), { allowed: true })
      throttle.fail(`user${i}`, IP, T0)
    }
    assert.deepEqual(throttle.check('someone-new', IP, T0), { allowed: false, retryAfterMs: 1000 })
    assert.deepEqual(throttle.check('someone-new', '198.51.100.8', T0), { allowed: true })
  })

  it('does not let a successful login reset the address', () => {
    const throttle = new LoginThrottle()
    for (let i = 0; i < 20; i++) throttle.fail(`victim${i}`, IP, T0)
    throttle.succeed('attacker-own-account', IP, T0)
    assert.deepEqual(throttle.check('victim21', IP, T0), { allowed: false, retryAfterMs: 1000 })
  })

  it('slows a username however many addresses the guesses come from', () => {
    const throttle = new LoginThrottle()
    for (let i = 0; i < 5; i++) throttle.fail('alice', `203.0.113.${i}`, T0)
    assert.deepEqual(throttle.check('alice', '192.0.2.99', T0), { allowed: false, retryAfterMs: 1000 })
  })

  it('answers with the longer of the two waits', () => {
    const throttle = new LoginThrottle({ freeFailuresPerAddress: 2 })
    for (let i = 0; i < 5; i++) throttle.fail('alice', IP, T0)
    // Address: 2^(5−2) s = 8 s. Username: 2^(5−5) s = 1 s.
    assert.deepEqual(throttle.check('alice', IP, T0), { allowed: false, retryAfterMs: 8000 })
  })

  it('treats an IPv6 /64 as one address, and IPv4-mapped IPv6 as the IPv4 address', () => {
    const throttle = new LoginThrottle()
    for (let i = 0; i < 20; i++) throttle.fail(`u${i}`, `2001:db8:1:2:${i.toString(16)}::1`, T0)
    assert.equal(throttle.check('x', '2001:db8:1:2:ffff:ffff:ffff:ffff', T0).allowed, false)
    assert.equal(throttle.check('x', '2001:0db8:0001:0002::', T0).allowed, false)
    assert.equal(throttle.check('x', '2001:db8:1:3::1', T0).allowed, true)

    const mapped = new LoginThrottle()
    for (let i = 0; i < 20; i++) mapped.fail(`u${i}`, '::ffff:192.0.2.1', T0)
    assert.equal(mapped.check('x', '192.0.2.1', T0).allowed, false)
    assert.equal(mapped.check('x', '::ffff:c000:201', T0).allowed, false)
    assert.equal(mapped.check('x', '192.0.2.2', T0).allowed, true)
  })

  it('holds no more than maxEntries counters per kind, evicting the stalest', () => {
    const throttle = new LoginThrottle({ maxEntries: 100 })
    for (let i = 0; i < 10_000; i++) throttle.fail(`user${i}`, `10.0.${i >> 8}.${i & 255}`, T0 + i)
    assert.ok(throttle.size <= 200, `holds ${throttle.size}`)
    // The most recent counters are still there.
    for (let i = 0; i < 4; i++) throttle.fail('user9999', '10.0.39.15', T0 + 10_000)
    assert.equal(throttle.check('user9999', '203.0.113.1', T0 + 10_000).allowed, false)
  })

  it('drops forgotten counters as new failures arrive', () => {
    const throttle = new LoginThrottle()
    for (let i = 0; i < 50; i++) throttle.fail(`user${i}`, `10.0.0.${i}`, T0)
    assert.equal(throttle.size, 100)
    throttle.fail('late', '10.0.1.1', T0 + 16 * MIN)
    assert.equal(throttle.size, 2)
  })
})
