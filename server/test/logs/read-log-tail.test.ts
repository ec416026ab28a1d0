import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { readLogTail } from '../../src/logs/read-log.ts'

describe('readLogTail', () => {
  it('returns the last bytes and how many came before them; a missing log is empty', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-tail-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const file = path.join(dir, 'run.log')
    await writeFile(file, '0123456789')
    assert.deepEqual(await readLogTail(file, 4, { complete: true }), { text: '6789', omittedBytes: 6 })
    assert.deepEqual(await readLogTail(file, 100, { complete: true }), { text: '0123456789', omittedBytes: 0 })
    assert.deepEqual(await readLogTail(path.join(dir, 'none.log'), 4, { complete: false }), { text: '', omittedBytes: 0 })
  })

  it('never starts inside a character: the omitted bytes include the rest of it', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-tail-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const file = path.join(dir, 'run.log')
    await writeFile(file, 'a€b') // € is bytes 1-3
    assert.deepEqual(await readLogTail(file, 3, { complete: true }), { text: 'b', omittedBytes: 4 })
    assert.deepEqual(await readLogTail(file, 4, { complete: true }), { text: '€b', omittedBytes: 1 })
  })
})
