import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { STATUS_BY_CODE } from '../../src/http/error-handler.ts'

describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
  const documented = new Map([...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]))

  it('lists every error code with the status the HTTP layer gives it, and no other code', () => {
    assert.deepEqual(Object.fromEntries(documented), { ...STATUS_BY_CODE })
  })
})
