/**
 * Slows password guessing (issue 3): counts failed logins per username and per address and
 * makes each attempt beyond a free allowance wait twice as long as the one before. In memory,
 * per process: a restart forgives, which is acceptable for a delay (not a lockout).
 */
import { isIPv4, isIPv6 } from 'node:net'

export interface LoginThrottleOptions {
  /** Failures a username may have before attempts on it are delayed. */
  freeFailuresPerUsername: number
  /**
   * Failures an address may have before its attempts are delayed. Higher than per username:
   * a whole office may sit behind one address, and one address guessing across many accounts
   * (password spraying) still hits it quickly.
   */
  freeFailuresPerAddress: number
  /** A counter is forgotten after this long without failures once its delay has passed. */
  windowMs: number
  maxDelayMs: number
  /** Per kind (usernames, addresses): a flood of new names evicts the stalest counters, never grows memory. */
  maxEntries: number
}

export const DEFAULT_LOGIN_THROTTLE: Readonly<LoginThrottleOptions> = Object.freeze({
  freeFailuresPerUsername: 5,
  freeFailuresPerAddress: 20,
  windowMs: 15 * 60_000,
  maxDelayMs: 15 * 60_000,
  maxEntries: 10_000,
})

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterMs: number }

interface Counter {
  failures: number
  lastFailureAt: number
}

/** Every login failure counts against both keys; success clears only the username's counter. */
export class LoginThrottle {
  readonly #options: LoginThrottleOptions
  readonly #byUsername = new Map<string, Counter>()
  readonly #byAddress = new Map<string, Counter>()

  constructor(options: Partial<LoginThrottleOptions> = {}) {
    this.#options = { ...DEFAULT_LOGIN_THROTTLE, ...options }
  }

  /** Whether an attempt may be checked now; refused attempts must not reach the password check. */
  check(username: string, ip: string, now: number): ThrottleDecision {
    const wait = Math.max(
      this.#waitMs(this.#byUsername, usernameKey(username), this.#options.freeFailuresPerUsername, now),
      this.#waitMs(this.#byAddress, addressKey(ip), this.#options.freeFailuresPerAddress, now),
    )
    return wait > 0 ? { allowed: false, retryAfterMs: wait } : { allowed: true }
  }

  fail(username: string, ip: string, now: number): void {
    this.#count(this.#byUsername, usernameKey(username), this.#options.freeFailuresPerUsername, now)
    this.#count(this.#byAddress, addressKey(ip), this.#options.freeFailuresPerAddress, now)
  }

  /**
   * Clears the username's counter. The address keeps its count: otherwise an attacker holding
   * one valid account could log into it between guesses at others and never slow down.
   */
  succeed(username: string, _ip: string, _now: number): void {
    this.#byUsername.delete(usernameKey(username))
  }

  /** How many counters are held, for tests of the memory bound. */
  get size(): number {
    return this.#byUsername.size + this.#byAddress.size
  }

  /** 0 below the allowance; then 1 s, 2 s, 4 s… after the last failure, up to maxDelayMs. */
  #delayMs(failures: number, free: number): number {
    if (failures < free) return 0
    const exponent = failures - free
    return exponent >= 31 ? this.#options.maxDelayMs : Math.min(1000 * 2 ** exponent, this.#options.maxDelayMs)
  }

  #isForgotten(counter: Counter, free: number, now: number): boolean {
    return now >= counter.lastFailureAt + this.#delayMs(counter.failures, free) + this.#options.windowMs
  }

  #waitMs(counters: Map<string, Counter>, key: string, free: number, now: number): number {
    const counter = counters.get(key)
    if (counter === undefined) return 0
    if (this.#isForgotten(counter, free, now)) {
      counters.delete(key)
      return 0
    }
    return Math.max(0, counter.lastFailureAt + this.#delayMs(counter.failures, free) - now)
  }

  #count(counters: Map<string, Counter>, key: string, free: number, now: number): void {
    const existing = counters.get(key)
    const failures = existing === undefined || this.#isForgotten(existing, free, now) ? 1 : existing.failures + 1
    // Delete and set: the Map stays ordered by last failure, stalest first, for the sweep below.
    counters.delete(key)
    this.#sweep(counters, free, now)
    counters.set(key, { failures, lastFailureAt: now })
  }

  /** Drops forgotten counters from the stale end, then the stalest ones while over the bound. */
  #sweep(counters: Map<string, Counter>, free: number, now: number): void {
    for (const [key, counter] of counters) {
      if (!this.#isForgotten(counter, free, now)) break
      counters.delete(key)
    }
    while (counters.size >= this.#options.maxEntries) {
      const stalest = counters.keys().next()
      if (stalest.done) break
      counters.delete(stalest.value)
    }
  }
}

/** 'Admin' and ' admin' are one account to a guesser, so they share one counter. */
function usernameKey(username: string): string {
  return username.trim().normalize('NFKC').toLowerCase()
}

/**
 * IPv4 as is (IPv4-mapped IPv6 included); IPv6 by its /64, the block one subscriber gets, or
 * every guess could come from a fresh address.
 */
function addressKey(ip: string): string {
  if (isIPv4(ip)) return ip
  const groups = isIPv6(ip) ? ipv6Groups(ip) : null
  if (groups === null) return ip
  if (groups.slice(0, 6).every((g, i) => g === (i === 5 ? 0xffff : 0))) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.')
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`
}

/** The eight 16-bit groups of a valid IPv6 address (zone and embedded IPv4 allowed). */
function ipv6Groups(ip: string): number[] | null {
  let text = ip.split('%')[0]!
  const tail: number[] = []
  const dotted = /^(.*:)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(text)
  if (dotted) {
    const [a, b, c, d] = dotted[2]!.split('.').map(Number) as [number, number, number, number]
    tail.push((a << 8) | b, (c << 8) | d)
    text = dotted[1]!.endsWith('::') ? dotted[1]! : dotted[1]!.slice(0, -1)
  }
  const halves = text.split('::')
  if (halves.length > 2) return null
  const parse = (part: string | undefined) => (part ? part.split(':').map((h) => parseInt(h, 16)) : [])
  const head = parse(halves[0])
  const rest = [...parse(halves[1]), ...tail]
  const missing = 8 - head.length - rest.length
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return null
  return [...head, ...new Array<number>(missing).fill(0), ...rest]
}
