import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { hashToken, isApiToken, newApiToken } from '../../src/auth/tokens.ts'

describe('API tokens', () => {
  it('makes ty_ plus 40 base62 characters, with its SHA-256 and a short prefix for listings', () => {
    const { token, hash, prefix } = newApiToken()
    assert.match(token, /^ty_[0-9A-Za-z]{40}$/)
    assert.equal(hash, createHash('sha256').update(token).digest('hex'))
    assert.equal(prefix, token.slice(0, 11))
    assert.equal(hashToken(token), hash)
    assert.equal(isApiToken(token), true)
  })

  it('never makes the same token twice', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => newApiToken().token))
    assert.equal(tokens.size, 1000)
  })

  it('hashes like sha256sum does', () => {
    assert.equal(hashToken('ty_example'), createHash('sha256').update('ty_example', 'utf8').digest('hex'))
    assert.equal(hashToken('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })

  it('recognises only the exact shape it issues', () => {
    const { token } = newApiToken()
    for (const other of [
      token.slice(0, -1),
      `${token}x`,
      token.replace('ty_', 'TY_'),
      `Bearer ${token}`,
      `${token.slice(0, -1)}-`,
      'eyJhbGciOiJIUzI1NiJ9.e30.sig',
      '',
    ]) {
      assert.equal(isApiToken(other), false, other)
    }
  })
})
