import { createHash } from 'node:crypto'

/**
 * How bearer secrets (session ids, API tokens) are stored. A plain fast hash is enough, and
 * right: the secrets are 190+ random bits, so there is nothing to brute-force, and the lookup
 * runs on every request.
 */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex')
}
