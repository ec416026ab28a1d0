import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { canRunOn, judgeHostKey } from './server.ts'

describe('registered servers (issue 12)', () => {
  it('lets admins run anywhere, operators only where allowed, viewers nowhere', () => {
    const server = { operatorIds: [7] }
    assert.equal(canRunOn({ id: 1, role: 'admin' }, server), true)
    assert.equal(canRunOn({ id: 7, role: 'operator' }, server), true)
    assert.equal(canRunOn({ id: 8, role: 'operator' }, server), false)
    assert.equal(canRunOn({ id: 7, role: 'viewer' }, server), false)
  })

  it('pins a first host key, goes on with the pinned one, refuses any other', () => {
    assert.equal(judgeHostKey(null, 'SHA256:a'), 'pin')
    assert.equal(judgeHostKey('SHA256:a', 'SHA256:a'), 'match')
    assert.equal(judgeHostKey('SHA256:a', 'SHA256:b'), 'changed')
  })
})
