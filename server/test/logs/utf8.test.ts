import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { completeUtf8Length } from '../../src/logs/utf8.ts'

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))))

const decoder = new TextDecoder('utf-8', { ignoreBOM: true })
const decode = (buf: Uint8Array): string => decoder.decode(buf)

/**
 * Every proper prefix (1–3 bytes) of the encoding of a Unicode scalar value, as hex. A proper
 * prefix never includes the last byte, which carries the low 6 bits, so one code point in 64 shows
 * them all.
 */
function properPrefixesOfValidEncodings(): Set<string> {
  const prefixes = new Set<string>()
  for (let cp = 0x80; cp <= 0x10ffff; cp += 64) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue
    const encoded = Buffer.from(String.fromCodePoint(cp))
    for (let n = 1; n < encoded.length; n++) prefixes.add(encoded.subarray(0, n).toString('hex'))
  }
  return prefixes
}

describe('completeUtf8Length', () => {
  it('holds back exactly a trailing sequence that more bytes could complete', () => {
    const cases: [Buffer, number][] = [
      [bytes(''), 0],
      [bytes('abc'), 3],
      [bytes('é'), 2],
      [bytes([0xc3]), 0],
      [bytes('a', [0xe2, 0x82]), 1],
      [bytes('€'), 3],
      [bytes('a', [0xf0, 0x9f, 0x98]), 1],
      [bytes('a😀'), 5],
      [bytes([0xe0]), 0],
      [bytes([0xf4, 0x8f]), 0],
    ]
    for (const [buf, expected] of cases) assert.equal(completeUtf8Length(buf), expected, buf.toString('hex'))
  })

  it('never holds back bytes that can no longer become a character', () => {
    const cases: [Buffer, number][] = [
      [bytes([0xff]), 1],
      [bytes([0x80]), 1],
      [bytes('a', [0xbf, 0xbf, 0xbf]), 4],
      [bytes([0xc0]), 1], // overlong lead
      [bytes([0xc1]), 1],
      [bytes([0xf5]), 1], // beyond U+10FFFF
      [bytes([0xe0, 0x80]), 2], // overlong
      [bytes([0xed, 0xa0]), 2], // UTF-16 surrogate
      [bytes([0xf0, 0x80]), 2], // overlong
      [bytes([0xf4, 0x90]), 2], // beyond U+10FFFF
      [bytes([0xe2, 0x41]), 2],
    ]
    for (const [buf, expected] of cases) assert.equal(completeUtf8Length(buf), expected, buf.toString('hex'))
  })

  it('agrees with the set of valid-encoding prefixes on every buffer of up to 4 bytes around every boundary, and splitting there never changes the text', () => {
    const prefixes = properPrefixesOfValidEncodings()
    const alphabet = [0x41, 0x80, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xe0, 0xe2, 0xed, 0xf0, 0xf4, 0xf5, 0xff]
    const next = (buf: number[]): number[][] => alphabet.map((byte) => [...buf, byte])
    let level: number[][] = [[]]
    const all: number[][] = []
    for (let length = 1; length <= 4; length++) {
      level = level.flatMap(next)
      all.push(...level)
    }
    const mismatches: string[] = []
    for (const list of all) {
      const buf = Buffer.from(list)
      let expected = buf.length
      for (let back = 1; back <= 3 && back <= buf.length; back++) {
        if (prefixes.has(buf.subarray(buf.length - back).toString('hex'))) expected = buf.length - back
      }
      if (completeUtf8Length(buf) !== expected) mismatches.push(`${buf.toString('hex')}: length`)
      const whole = decode(buf)
      for (let cut = 0; cut < buf.length; cut++) {
        const held = completeUtf8Length(buf.subarray(0, cut))
        if (decode(buf.subarray(0, held)) + decode(buf.subarray(held)) !== whole) mismatches.push(`${buf.toString('hex')}: cut ${cut}`)
      }
    }
    assert.deepEqual(mismatches, [])
  })
})
