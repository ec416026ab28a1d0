import assert from 'node:assert/strict'
import fs from 'node:fs'
import { describe, it } from 'node:test'
import { readLog, readLogRange } from '../../src/logs/read-log.ts'
import { tempLog } from './temp-log.ts'

describe('readLog', () => {
  it('reads everything from a byte offset', async (t) => {
    const file = tempLog(t, 'héllo wörld\n')
    assert.deepEqual(await readLog(file, 0, { complete: false }), { text: 'héllo wörld\n', nextOffset: 14, size: 14 })
    assert.deepEqual(await readLog(file, 7, { complete: true }), { text: 'wörld\n', nextOffset: 14, size: 14 })
    assert.deepEqual(await readLog(file, 14, { complete: true }), { text: '', nextOffset: 14, size: 14 })
  })

  it('leaves a trailing partial character for the next read while the log may grow', async (t) => {
    const file = tempLog(t, Buffer.from([0x61, 0xe2, 0x82]))
    assert.deepEqual(await readLog(file, 0, { complete: false }), { text: 'a', nextOffset: 1, size: 3 })
    fs.appendFileSync(file, Buffer.from([0xac, 0x62]))
    assert.deepEqual(await readLog(file, 1, { complete: false }), { text: '€b', nextOffset: 5, size: 5 })
  })

  it('decodes a trailing partial character as U+FFFD once the log is complete', async (t) => {
    const file = tempLog(t, Buffer.from([0x61, 0xe2, 0x82]))
    assert.deepEqual(await readLog(file, 0, { complete: true }), { text: 'a\uFFFD', nextOffset: 3, size: 3 })
  })

  it('turns invalid bytes into U+FFFD without holding them back', async (t) => {
    const file = tempLog(t, Buffer.from([0x61, 0xff, 0x62, 0xc0]))
    assert.deepEqual(await readLog(file, 0, { complete: false }), { text: 'a\uFFFDb\uFFFD', nextOffset: 4, size: 4 })
  })

  it('keeps a leading byte order mark, as the file has it', async (t) => {
    const file = tempLog(t, '\uFEFFx')
    assert.deepEqual(await readLog(file, 0, { complete: true }), { text: '\uFEFFx', nextOffset: 4, size: 4 })
  })

  it('reads at most maxBytes, never ending inside a character even when complete', async (t) => {
    const file = tempLog(t, 'ab€cd')
    assert.deepEqual(await readLog(file, 0, { complete: true, maxBytes: 4 }), { text: 'ab', nextOffset: 2, size: 7 })
    assert.deepEqual(await readLog(file, 2, { complete: true, maxBytes: 4 }), { text: '€c', nextOffset: 6, size: 7 })
    assert.deepEqual(await readLog(file, 6, { complete: true, maxBytes: 4 }), { text: 'd', nextOffset: 7, size: 7 })
  })

  it('always makes progress: a maxBytes below one character still reads one', async (t) => {
    const file = tempLog(t, '😀!')
    assert.deepEqual(await readLog(file, 0, { complete: false, maxBytes: 1 }), { text: '😀', nextOffset: 4, size: 5 })
  })

  it('with maxBytes 0 only reports the size', async (t) => {
    const file = tempLog(t, 'abc')
    assert.deepEqual(await readLog(file, 0, { complete: true, maxBytes: 0 }), { text: '', nextOffset: 0, size: 3 })
  })

  it('reads a log that does not exist yet as empty', async (t) => {
    const file = tempLog(t)
    assert.deepEqual(await readLog(file, 0, { complete: false }), { text: '', nextOffset: 0, size: 0 })
    assert.deepEqual(await readLog(file, 5, { complete: true }), { text: '', nextOffset: 5, size: 0 })
  })

  it('refuses an offset that is not a byte position', async (t) => {
    const file = tempLog(t, 'abc')
    for (const offset of [-1, 1.5, Number.NaN]) {
      await assert.rejects(readLog(file, offset, { complete: true }), { name: 'RangeError', message: `invalid log offset ${offset}` })
    }
  })
})

describe('readLogRange', () => {
  it('reads exactly `limit` bytes from an offset, moving a start inside a character past it', async (t) => {
    // a € b: € is bytes 1-3.
    const file = tempLog(t, 'a€b')
    const at = (offset: number | undefined, limit: number) =>
      readLogRange(file, { ...(offset === undefined ? {} : { offset }), limit, complete: true }).then(({ modifiedAt: _m, ...r }) => r)
    assert.deepEqual(await at(0, 1), { text: 'a', offset: 0, nextOffset: 1, size: 5 })
    assert.deepEqual(await at(1, 3), { text: '€', offset: 1, nextOffset: 4, size: 5 })
    assert.deepEqual(await at(2, 3), { text: 'b', offset: 4, nextOffset: 5, size: 5 })
    assert.deepEqual(await at(3, 1), { text: '', offset: 4, nextOffset: 4, size: 5 })
    assert.deepEqual(await at(undefined, 2), { text: 'b', offset: 4, nextOffset: 5, size: 5 })
    assert.deepEqual(await at(undefined, 4), { text: '€b', offset: 1, nextOffset: 5, size: 5 })
    assert.deepEqual(await at(9, 4), { text: '', offset: 9, nextOffset: 9, size: 5 })
  })

  it('keeps stray continuation bytes no character claims, so nothing is hidden', async (t) => {
    const file = tempLog(t, Buffer.from([0x61, 0x80, 0x80, 0x62]))
    assert.deepEqual((await readLogRange(file, { offset: 1, limit: 10, complete: true })).text, '\uFFFD\uFFFDb')
  })

  it('holds back a character split at the end of a log that may still grow', async (t) => {
    const file = tempLog(t, Buffer.from([0x61, 0xe2, 0x82]))
    const { modifiedAt, ...range } = await readLogRange(file, { limit: 10, complete: false })
    assert.deepEqual(range, { text: 'a', offset: 0, nextOffset: 1, size: 3 })
    assert.equal(modifiedAt, Math.round(fs.statSync(file).mtimeMs))
  })

  it('reads a missing log as empty, with no modification time', async (t) => {
    assert.deepEqual(await readLogRange(tempLog(t), { limit: 10, complete: false }), { text: '', offset: 0, nextOffset: 0, size: 0, modifiedAt: null })
  })
})
