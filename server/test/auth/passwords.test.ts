import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CURRENT_PARAMS, generatePassword, hashPassword, needsRehash, passwordProblem, verifyPassword } from '../../src/auth/passwords.ts'

describe('passwords', () => {
  it('hashes with scrypt into scrypt$N$r$p$salt$hash and verifies only the same password', async () => {
    const encoded = await hashPassword('correct horse battery staple')
    assert.match(encoded, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/)
    assert.equal(await verifyPassword('correct horse battery staple', encoded), true)
    assert.equal(await verifyPassword('correct horse battery stapl', encoded), false)
    assert.equal(await verifyPassword('Correct horse battery staple', encoded), false)
    assert.equal(await verifyPassword('', encoded), false)
  })

  it('salts every hash: the same password twice gives two different hashes, both valid', async () => {
    const [a, b] = await Promise.all([hashPassword('s3cret-pass'), hashPassword('s3cret-pass')])
    assert.notEqual(a, b)
    assert.notEqual(a.split('$')[4], b.split('$')[4])
    assert.deepEqual(await Promise.all([verifyPassword('s3cret-pass', a), verifyPassword('s3cret-pass', b)]), [true, true])
  })

  it('verifies with the parameters stored in the hash, not today’s', async () => {
    const old = await hashPassword('legacy-password', { N: 2 ** 14, r: 8, p: 1 })
    assert.match(old, /^scrypt\$16384\$8\$1\$/)
    assert.equal(await verifyPassword('legacy-password', old), true)
    assert.equal(needsRehash(old), true)
    assert.equal(needsRehash(await hashPassword('legacy-password')), false)
    assert.deepEqual(CURRENT_PARAMS, { N: 32768, r: 8, p: 1 })
  })

  it('treats unicode passwords by their characters, composed or not', async () => {
    const composed = 'p\u00e4ssw\u00f6rd-\u5bc6\u7801'
    const decomposed = composed.normalize('NFD')
    assert.notEqual(composed, decomposed)
    const encoded = await hashPassword(composed)
    assert.equal(await verifyPassword(decomposed, encoded), true)
    assert.equal(await verifyPassword('passwording-\u5bc6\u7801', encoded), false)
  })

  it('answers false, without throwing, for a malformed or doctored hash', async () => {
    const good = await hashPassword('password1')
    const parts = good.split('$')
    const variants = [
      '',
      'password1',
      'bcrypt$10$abc',
      parts.slice(0, 5).join('$'),
      ['pbkdf2', ...parts.slice(1)].join('$'),
      ['scrypt', '30000', ...parts.slice(2)].join('$'), // N not a power of two
      ['scrypt', String(2 ** 24), ...parts.slice(2)].join('$'), // N large enough to exhaust memory
      ['scrypt', String(2 ** 20), '32', ...parts.slice(3)].join('$'), // 4 GiB: each limit alone passes
      ['scrypt', '032768', ...parts.slice(2)].join('$'),
      ['scrypt', parts[1], '0', ...parts.slice(3)].join('$'),
      ['scrypt', parts[1], parts[2], parts[3], '', parts[5]].join('$'),
      ['scrypt', parts[1], parts[2], parts[3], parts[4], 'AAAA'].join('$'),
      `${good}$extra`,
    ]
    for (const encoded of variants) assert.equal(await verifyPassword('password1', encoded), false, encoded)
    assert.equal(needsRehash('nonsense'), true)
  })

  it('refuses a hash whose key was altered by one bit', async () => {
    const encoded = await hashPassword('password1')
    const parts = encoded.split('$')
    const key = Buffer.from(parts[5]!, 'base64url')
    key[0]! ^= 1
    parts[5] = key.toString('base64url')
    assert.equal(await verifyPassword('password1', parts.join('$')), false)
  })

  it('spends scrypt work for an unknown user and answers false', async () => {
    const started = process.hrtime.bigint()
    assert.equal(await verifyPassword('anything', null), false)
    assert.equal(await verifyPassword('anything', null), false)
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6
    // Two N=2^15 scrypt runs cannot take under a few milliseconds on any machine.
    assert.ok(elapsedMs > 5, `took ${elapsedMs} ms`)
  })

  it('generates 20-character base62 passwords that do not repeat', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 200; i++) {
      const password = generatePassword()
      assert.match(password, /^[0-9A-Za-z]{20}$/)
      seen.add(password)
    }
    assert.equal(seen.size, 200)
    assert.match(generatePassword(32), /^[0-9A-Za-z]{32}$/)
  })

  it('uses every base62 character, evenly', () => {
    const counts = new Map<string, number>()
    const text = generatePassword(62_000)
    for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1)
    assert.equal(counts.size, 62)
    // Each expected ~1000 times; a modulo bias would push the first eight to ~1250.
    for (const [c, n] of counts) assert.ok(n > 850 && n < 1150, `${c}: ${n}`)
  })

  it('says what is wrong with a password that is too short or too long', () => {
    assert.equal(passwordProblem('1234567'), 'Password must be at least 8 characters')
    assert.equal(passwordProblem('12345678'), null)
    assert.equal(passwordProblem('x'.repeat(1024)), null)
    assert.equal(passwordProblem('x'.repeat(1025)), 'Password must be at most 1024 characters')
  })
})
