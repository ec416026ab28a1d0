import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { createSecretBox } from './secret-box.ts'

describe('secret box (AES-256-GCM)', () => {
  const box = createSecretBox(randomBytes(32))

  it('opens what it sealed, and the sealed text holds nothing of the clear one', () => {
    const secret = '-----BEGIN OPENSSH PRIVATE KEY----- hunter2 ünïcode'
    const sealed = box.seal(secret)
    assert.match(sealed, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/)
    assert.equal(sealed.includes('hunter2'), false)
    assert.equal(Buffer.from(sealed.split('.')[3] ?? '', 'base64url').includes('hunter2'), false)
    assert.equal(box.open(sealed), secret)
  })

  it('seals the same secret differently each time (a fresh IV)', () => {
    assert.notEqual(box.seal('same'), box.seal('same'))
  })

  it('refuses a text altered in any part, sealed with another key, or not sealed at all', () => {
    const sealed = box.seal('secret')
    const parts = sealed.split('.')
    for (const index of [1, 2, 3]) {
      const altered = [...parts]
      const bytes = Buffer.from(altered[index] ?? '', 'base64url')
      bytes[0] = (bytes[0] ?? 0) ^ 1
      altered[index] = bytes.toString('base64url')
      assert.throws(() => box.open(altered.join('.')), Error, `part ${index}`)
    }
    assert.throws(() => createSecretBox(randomBytes(32)).open(sealed))
    assert.throws(() => box.open('secret'), /not a sealed secret/)
  })
})
