import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
/** The largest multiple of 62 that fits in a byte: bytes at or above it are dropped, not folded. */
const UNBIASED_LIMIT = 62 * 4

/**
 * `length` characters from [0-9A-Za-z], each uniformly random (log2 62 ≈ 5.95 bits). Rejection
 * sampling rather than `byte % 62`, which would make the first eight characters more likely.
 */
export function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length - out.length + 8)) {
      if (byte < UNBIASED_LIMIT) out += ALPHABET[byte % 62]
      if (out.length === length) break
    }
  }
  return out
}
