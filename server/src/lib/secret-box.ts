/**
 * AES-256-GCM sealing of small secrets (issue 12: server passwords and private keys at rest).
 * A sealed value is `v1.<iv>.<tag>.<ciphertext>` in base64url: a fresh 96-bit IV each time, so
 * sealing the same secret twice gives two different texts, and the tag makes any change to the
 * stored text (or a different key) fail loudly instead of decrypting to garbage.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

export interface SecretBox {
  seal(plain: string): string
  /** Throws when the text was not sealed with this key or was altered. */
  open(sealed: string): string
}

/** `keyMaterial` of any length ≥ 32 bytes; the AES key is its SHA-256. */
export function createSecretBox(keyMaterial: Buffer): SecretBox {
  const key = createHash('sha256').update(keyMaterial).digest()
  return {
    seal(plain) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return ['v1', iv, cipher.getAuthTag(), body].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.')
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split('.')
      if (version !== 'v1' || iv === undefined || tag === undefined || body === undefined) throw new Error('not a sealed secret')
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
    },
  }
}
