import { describe, expect, it } from 'vitest'
import { LineSearch, LogLines, sortedHas } from './log-lines'

describe('LogLines', () => {
  it('joins chunks split anywhere into lines, keeping the unfinished last one', () => {
    const l = new LogLines()
    l.append('ab')
    l.append('c\r\nde')
    expect(l.view()).toEqual(['abc', 'de'])
    l.append('f\n')
    expect(l.view()).toEqual(['abc', 'def'])
    expect(l.count).toBe(2)
    expect(l.text()).toBe('abc\r\ndef\n')
  })

  it('holds 100,000 lines appended in chunks, each line where it was written', () => {
    const l = new LogLines()
    const chunk = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n') + '\n'
    for (let i = 0; i < 100; i++) l.append(chunk)
    expect(l.count).toBe(100_000)
    expect([l.line(0), l.line(999), l.line(1000), l.line(54_321), l.line(99_999)]).toEqual(['line 0', 'line 999', 'line 0', 'line 321', 'line 999'])
  })
})

describe('LineSearch', () => {
  const plain = (s: string) => s
  it('finds lines by what they show, case-insensitively, including the unfinished last line', () => {
    const l = new LogLines()
    l.append('\u001b[31mError\u001b[0m one\nok\nerror two\npartial err')
    const s = new LineSearch(plain)
    expect(s.update(l, 'ERR')).toEqual([0, 2, 3])
    expect(s.update(l, '31m')).toEqual([])
    expect(s.update(l, '')).toEqual([])
  })

  it('reads only the new lines of a growing log: 100,000 lines searched live read each line once', () => {
    const l = new LogLines()
    const s = new LineSearch(plain)
    let reads = 0
    const counting = new LineSearch((x) => (reads++, x))
    const chunk = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n') + '\n'
    for (let i = 0; i < 100; i++) {
      l.append(chunk)
      s.update(l, 'line 99')
      counting.update(l, 'line 99')
    }
    expect(s.update(l, 'line 99').length).toBe(100 * 11)
    expect(reads).toBe(100_000)
  })

  it('sortedHas finds values by binary search', () => {
    expect([1, 5, 9].map((v) => sortedHas([1, 5, 9], v))).toEqual([true, true, true])
    expect([0, 2, 10].map((v) => sortedHas([1, 5, 9], v))).toEqual([false, false, false])
  })
})
