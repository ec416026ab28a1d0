import assert from 'node:assert/strict'
import { createHmac, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { signAccessToken, verifyAccessToken } from '../../src/auth/jwt.ts'
import { T0 } from './auth-test-kit.ts'

const SECRET = Buffer.from('0123456789abcdef0123456789abcdef-test-secret')
const TTL = 15 * 60_000

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** A token built independently of jwt.ts: any header, any payload, any HMAC. */
function forge(header: unknown, payload: unknown, secret: Buffer = SECRET, hash = 'sha256'): string {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`
}

const GOOD_HEADER = { alg: 'HS256', typ: 'JWT' }
const goodPayload = (overrides: Record<string, unknown> = {}) => ({ sub: '42', iat: T0 / 1000, exp: (T0 + TTL) / 1000, ...overrides })

function decodeSegment(segment: string): unknown {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
}

describe('access tokens (JWT, HS256)', () => {
  it('signs sub, iat and exp, and verifies them back to the millisecond', () => {
    const now = T0 + 123
    const token = signAccessToken(SECRET, 42, now, TTL)
    const [header, payload] = token.split('.')
    assert.deepEqual(decodeSegment(header!), { alg: 'HS256', typ: 'JWT' })
    assert.deepEqual(decodeSegment(payload!), { sub: '42', iat: now / 1000, exp: (now + TTL) / 1000 })
    assert.deepEqual(verifyAccessToken(SECRET, token, now), { ok: true, claims: { userId: 42, issuedAt: now, expiresAt: now + TTL, sessionId: null } })
  })

  it('carries the login session as sid, and refuses a sid that is not a session key', () => {
    const sid = 'ab'.repeat(32)
    const token = signAccessToken(SECRET, 42, T0, TTL, sid)
    assert.deepEqual(decodeSegment(token.split('.')[1]!), { sub: '42', iat: T0 / 1000, exp: (T0 + TTL) / 1000, sid })
    assert.deepEqual(verifyAccessToken(SECRET, token, T0), { ok: true, claims: { userId: 42, issuedAt: T0, expiresAt: T0 + TTL, sessionId: sid } })
    for (const bad of ['AB'.repeat(32), 'ab'.repeat(31), 'x']) {
      assert.deepEqual(verifyAccessToken(SECRET, signAccessToken(SECRET, 42, T0, TTL, bad), T0), { ok: false, reason: 'malformed' }, bad)
    }
  })

  it('keeps the millisecond for any instant, so iat compares exactly with a password change', () => {
    for (let i = 0; i < 1000; i++) {
      const now = T0 + Math.floor(Math.random() * 10 ** 11)
      const result = verifyAccessToken(SECRET, signAccessToken(SECRET, 1, now, TTL), now)
      assert.deepEqual(result, { ok: true, claims: { userId: 1, issuedAt: now, expiresAt: now + TTL, sessionId: null } })
    }
  })

  it('accepts a token until the millisecond it expires, not at it', () => {
    const token = signAccessToken(SECRET, 42, T0, TTL)
    assert.equal(verifyAccessToken(SECRET, token, T0 + TTL - 1).ok, true)
    assert.deepEqual(verifyAccessToken(SECRET, token, T0 + TTL), { ok: false, reason: 'expired' })
    assert.deepEqual(verifyAccessToken(SECRET, token, T0 + 10 * TTL), { ok: false, reason: 'expired' })
  })

  it('matches HS256 as RFC 7515 computes it (appendix A.1), by its signature', () => {
    const key = Buffer.from('AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow', 'base64url')
    const rfcToken =
      'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9' +
      '.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ' +
      '.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
    // The signature holds; the token is then refused only because it names no user (no sub).
    assert.deepEqual(verifyAccessToken(key, rfcToken, 1_300_819_379_000), { ok: false, reason: 'malformed' })
    assert.deepEqual(verifyAccessToken(SECRET, rfcToken, 1_300_819_379_000), { ok: false, reason: 'bad_signature' })
  })

  it('accepts a token built independently with the same key', () => {
    assert.deepEqual(verifyAccessToken(SECRET, forge(GOOD_HEADER, goodPayload()), T0), {
      ok: true,
      claims: { userId: 42, issuedAt: T0, expiresAt: T0 + TTL, sessionId: null },
    })
    // typ is optional; extra claims are ignored.
    assert.equal(verifyAccessToken(SECRET, forge({ alg: 'HS256' }, goodPayload({ jti: 'x', aud: 'y' })), T0).ok, true)
  })

  it('refuses a token signed with another secret', () => {
    const token = signAccessToken(randomBytes(32), 42, T0, TTL)
    assert.deepEqual(verifyAccessToken(SECRET, token, T0), { ok: false, reason: 'bad_signature' })
  })

  it('refuses a token whose payload, header or signature was changed', () => {
    const token = signAccessToken(SECRET, 42, T0, TTL)
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const admin = b64({ sub: '1', iat: T0 / 1000, exp: (T0 + TTL) / 1000 })
    const longer = b64({ sub: '42', iat: T0 / 1000, exp: (T0 + 100 * TTL) / 1000 })
    const flipped = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1)
    for (const tampered of [
      `${header}.${admin}.${signature}`,
      `${header}.${longer}.${signature}`,
      `${b64({ alg: 'HS256', typ: 'JWT', kid: 'x' })}.${payload}.${signature}`,
      `${header}.${payload}.${flipped(signature, 0)}`,
      `${header}.${payload}.${flipped(signature, 20)}`,
      `${header}.${payload}.${signature.slice(0, -1)}`,
      `${header}.${payload}.${signature}A`,
      `${header}.${payload}.${signature.toLowerCase()}`,
    ]) {
      assert.deepEqual(verifyAccessToken(SECRET, tampered, T0), { ok: false, reason: 'bad_signature' }, tampered)
    }
  })

  it('gives a signature exactly one spelling: other encodings of the same bytes are refused', () => {
    const token = signAccessToken(SECRET, 42, T0, TTL)
    const [header, payload, signature] = token.split('.') as [string, string, string]
    // 32 bytes are 43 characters; the last one carries 2 unused bits, which a lenient decoder ignores.
    const last = signature.at(-1)!
    const index = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(last)
    const twin = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[index ^ 1]!
    const sameBytes = signature.slice(0, -1) + twin
    assert.deepEqual(Buffer.from(sameBytes, 'base64url'), Buffer.from(signature, 'base64url'))
    assert.deepEqual(verifyAccessToken(SECRET, `${header}.${payload}.${sameBytes}`, T0), { ok: false, reason: 'bad_signature' })
  })

  it('refuses alg: none, with or without a signature', () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(goodPayload())}.`
    assert.deepEqual(verifyAccessToken(SECRET, unsigned, T0), { ok: false, reason: 'malformed' })
    assert.deepEqual(verifyAccessToken(SECRET, `${b64({ alg: 'none' })}.${b64(goodPayload())}`, T0), { ok: false, reason: 'malformed' })
    const withJunk = `${b64({ alg: 'none' })}.${b64(goodPayload())}.${b64('junk')}`
    assert.deepEqual(verifyAccessToken(SECRET, withJunk, T0), { ok: false, reason: 'bad_signature' })
    // Even an HMAC by our own key does not make "none" acceptable.
    for (const alg of ['none', 'None', 'NONE']) {
      assert.deepEqual(verifyAccessToken(SECRET, forge({ alg }, goodPayload()), T0), { ok: false, reason: 'unsupported_header' })
    }
  })

  it('refuses every other algorithm, whatever key signed it', () => {
    for (const alg of ['HS384', 'HS512', 'RS256', 'ES256', 'PS256', 'EdDSA', 'hs256']) {
      // HMAC-SHA256 by our key under another name: refused for the name.
      assert.deepEqual(verifyAccessToken(SECRET, forge({ alg, typ: 'JWT' }, goodPayload()), T0), { ok: false, reason: 'unsupported_header' }, alg)
    }
    // Genuinely HS512 with our key: not a signature we make.
    assert.deepEqual(verifyAccessToken(SECRET, forge({ alg: 'HS512' }, goodPayload(), SECRET, 'sha512'), T0), { ok: false, reason: 'bad_signature' })
    // RS256 keyed with the "public key" as HMAC secret (algorithm confusion): only HS256 by SECRET counts.
    assert.deepEqual(verifyAccessToken(SECRET, forge({ alg: 'RS256' }, goodPayload(), Buffer.from('-----BEGIN PUBLIC KEY-----')), T0), {
      ok: false,
      reason: 'bad_signature',
    })
  })

  it('refuses headers it does not understand: crit, another typ, no alg, not an object', () => {
    for (const header of [{ alg: 'HS256', crit: ['exp'], exp: 1 }, { alg: 'HS256', typ: 'at+jwt' }, { typ: 'JWT' }, ['HS256'], 'HS256', null]) {
      assert.deepEqual(verifyAccessToken(SECRET, forge(header, goodPayload()), T0), { ok: false, reason: 'unsupported_header' }, JSON.stringify(header))
    }
    const notJson = `${b64('{alg')}.${b64(goodPayload())}`
    const token = `${notJson}.${createHmac('sha256', SECRET).update(notJson).digest('base64url')}`
    assert.deepEqual(verifyAccessToken(SECRET, token, T0), { ok: false, reason: 'unsupported_header' })
  })

  it('refuses signed payloads without a proper user id, iat or exp', () => {
    const payloads: unknown[] = [
      goodPayload({ sub: 42 }),
      goodPayload({ sub: '0' }),
      goodPayload({ sub: '-1' }),
      goodPayload({ sub: '042' }),
      goodPayload({ sub: '4.2' }),
      goodPayload({ sub: 'admin' }),
      goodPayload({ sub: '9'.repeat(16) }),
      goodPayload({ sub: undefined }),
      goodPayload({ iat: undefined }),
      goodPayload({ iat: String(T0 / 1000) }),
      goodPayload({ exp: undefined }),
      goodPayload({ exp: null }),
      goodPayload({ exp: String((T0 + TTL) / 1000) }),
      goodPayload({ nbf: 'now' }),
      [goodPayload()],
      'sub=42',
      null,
    ]
    for (const payload of payloads) {
      assert.deepEqual(verifyAccessToken(SECRET, forge(GOOD_HEADER, payload), T0), { ok: false, reason: 'malformed' }, JSON.stringify(payload))
    }
  })

  it('refuses a token issued, or valid only, more than a minute in the future', () => {
    const ahead = (ms: number) => forge(GOOD_HEADER, goodPayload({ iat: (T0 + ms) / 1000, exp: (T0 + ms + TTL) / 1000 }))
    assert.equal(verifyAccessToken(SECRET, ahead(60_000), T0).ok, true)
    assert.deepEqual(verifyAccessToken(SECRET, ahead(60_001), T0), { ok: false, reason: 'not_yet_valid' })
    const notBefore = forge(GOOD_HEADER, goodPayload({ nbf: (T0 + 120_000) / 1000 }))
    assert.deepEqual(verifyAccessToken(SECRET, notBefore, T0), { ok: false, reason: 'not_yet_valid' })
    assert.equal(verifyAccessToken(SECRET, notBefore, T0 + 60_000).ok, true)
  })

  it('refuses what is not three base64url segments, and anything huge, before any work', () => {
    const token = signAccessToken(SECRET, 42, T0, TTL)
    const [header, payload, signature] = token.split('.') as [string, string, string]
    for (const bad of [
      '',
      'ty_abc',
      header,
      `${header}.${payload}`,
      `${token}.${signature}`,
      `${header}.${payload}.${signature}=`,
      `${header}=.${payload}.${signature}`,
      `${header}.${payload}+.${signature}`,
      ` ${token}`,
      `${token} `,
      `${header}..${signature}`,
      `${header}.${payload}.${signature}`.replace('.', '\n.'),
      `${header}.${b64({ ...goodPayload(), pad: 'x'.repeat(5000) })}.${signature}`,
    ]) {
      assert.deepEqual(verifyAccessToken(SECRET, bad, T0), { ok: false, reason: 'malformed' }, bad.slice(0, 80))
    }
  })
})
