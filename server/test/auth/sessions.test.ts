import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { hashSessionId, isSessionId, newSessionId } from '../../src/auth/sessions.ts'

describe('session ids', () => {
  it('makes 32 random bytes in base64url for the cookie, and their SHA-256 for the database', () => {
    const { id, hash } = newSessionId()
    assert.match(id, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(Buffer.from(id, 'base64url').length, 32)
    assert.equal(hash, createHash('sha256').update(id).digest('hex'))
    assert.equal(hashSessionId(id), hash)
    assert.notEqual(hash, id)
    assert.equal(isSessionId(id), true)
  })

  it('never makes the same id twice', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newSessionId().id))
    assert.equal(ids.size, 1000)
  })

  it('looks up only cookie values of the shape it issues', () => {
    const { id } = newSessionId()
    for (const other of [id.slice(0, -1), `${id}A`, `${id.slice(0, -1)}=`, `${id.slice(0, -1)}+`, '', 'x'.repeat(10_000)]) {
      assert.equal(isSessionId(other), false, other.slice(0, 50))
    }
  })
})
