import { describe, expect, it } from 'vitest'
import { LogLines } from './log-lines'

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

  it('holds 100,000 lines appended in chunks quickly', () => {
    const l = new LogLines()
    const chunk = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n') + '\n'
    const t0 = performance.now()
    for (let i = 0; i < 100; i++) l.append(chunk)
    expect(l.count).toBe(100_000)
    expect(performance.now() - t0).toBeLessThan(2000)
  })
})
