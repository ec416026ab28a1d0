/** Password hashing with scrypt (node:crypto), in a self-describing string. */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { randomBase62 } from './random-base62.ts'

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number
  r: number
  p: number
}

/**
 * 2^15 × 8 × 128 bytes = 32 MiB and about 50–100 ms per hash: slow enough to make an offline
 * guess at a leaked hash costly, fast enough for a login. Raising it later is safe: each hash
 * carries its own parameters, and needsRehash() tells the login path to upgrade on success.
 */
export const CURRENT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 15, r: 8, p: 1 })

const SALT_BYTES = 16
const KEY_BYTES = 32
/** Stored hashes are trusted input, but not blindly: a doctored one must not make a login eat gigabytes. */
const MAX_N = 2 ** 20
const MAX_R = 32
const MAX_P = 16
const MAX_MEMORY_BYTES = 256 * 1024 * 1024

export const MIN_PASSWORD_LENGTH = 8
/** scrypt cost does not grow with length, but request bodies and logs should stay small. */
export const MAX_PASSWORD_LENGTH = 1024

/** Why `password` is not acceptable as a new password, or null when it is. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `Password must be at least ${MIN_PASSWORD_LENGTH} characters`
  if (password.length > MAX_PASSWORD_LENGTH) return `Password must be at most ${MAX_PASSWORD_LENGTH} characters`
  return null
}

function scryptAsync(password: string, salt: Buffer, keyLength: number, params: ScryptParams): Promise<Buffer> {
  // Node refuses (roughly) 128·N·r > maxmem; its default is exactly 32 MiB, our own cost.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r }
  // NFC: the same password typed where accents arrive precomposed or combining must match.
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

/** `scrypt$N$r$p$<salt base64url>$<hash base64url>`. Runs on the libuv pool, not the event loop. */
export async function hashPassword(password: string, params: ScryptParams = CURRENT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const key = await scryptAsync(password, salt, KEY_BYTES, params)
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

interface Decoded {
  params: ScryptParams
  salt: Buffer
  key: Buffer
}

function decode(encoded: string): Decoded | null {
  const parts = encoded.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^[1-9][0-9]{0,9}$/.test(s) ? Number(s) : NaN)) as [number, number, number]
  if (!(N >= 2 && N <= MAX_N && (N & (N - 1)) === 0 && r >= 1 && r <= MAX_R && p >= 1 && p <= MAX_P)) return null
  if (128 * N * r > MAX_MEMORY_BYTES) return null
  const salt = Buffer.from(parts[4]!, 'base64url')
  const key = Buffer.from(parts[5]!, 'base64url')
  if (salt.length < 8 || key.length < 16 || key.length > 64) return null
  return { params: { N, r, p }, salt, key }
}

/** A real hash of an unguessable password: the work an unknown username must cost too. */
let dummyHash: Promise<string> | undefined

/**
 * Whether `password` matches `encoded`. With `encoded` null (no such user) it spends the same
 * scrypt work and answers false, so response time does not tell which usernames exist.
 * A malformed hash answers false rather than throwing: it can only match nothing.
 */
export async function verifyPassword(password: string, encoded: string | null): Promise<boolean> {
  if (encoded === null) {
    dummyHash ??= hashPassword(randomBase62(32))
    await verifyPassword(password, await dummyHash)
    return false
  }
  const decoded = decode(encoded)
  if (decoded === null) return false
  const key = await scryptAsync(password, decoded.salt, decoded.key.length, decoded.params)
  return timingSafeEqual(key, decoded.key)
}

/** Whether a hash that just verified was made with weaker parameters than today's. */
export function needsRehash(encoded: string): boolean {
  const decoded = decode(encoded)
  if (decoded === null) return true
  const { N, r, p } = decoded.params
  return N < CURRENT_PARAMS.N || r < CURRENT_PARAMS.r || p < CURRENT_PARAMS.p || decoded.key.length < KEY_BYTES
}

/** 20 base62 characters: about 119 bits, out of reach of any online or offline guessing. */
export function generatePassword(length = 20): string {
  return randomBase62(length)
}
