import { describe, expect, it } from 'vitest'
import { previewCron } from './cron'

describe('cron preview', () => {
  const from = new Date(2026, 0, 1, 12, 0, 0) // Thursday 1 January 2026, local time

  it('reads an expression aloud in English and lists its next five times', () => {
    const p = previewCron('30 9 * * 1-5', 'en', 5, from)
    expect(p.ok).toBe(true)
    expect(p.reading).toBe('At 09:30, Monday through Friday')
    expect(p.next.map((d) => [d.getDate(), d.getHours(), d.getMinutes()])).toEqual([
      [2, 9, 30],
      [5, 9, 30],
      [6, 9, 30],
      [7, 9, 30],
      [8, 9, 30],
    ])
  })

  it('reads it in Chinese', () => {
    const p = previewCron('*/15 * * * *', 'zh-CN', 5, from)
    expect(p.reading).toBe('每隔 15 分钟')
    expect(p.next.map((d) => d.getMinutes())).toEqual([15, 30, 45, 0, 15])
  })

  it('refuses what the server would refuse: bad fields, six fields, empty', () => {
    expect(previewCron('61 * * * *', 'en', 5, from).ok).toBe(false)
    expect(previewCron('0 0 * * * *', 'en', 5, from)).toMatchObject({ ok: false, error: 'fields' })
    expect(previewCron('  ', 'en', 5, from)).toMatchObject({ ok: false, error: 'empty' })
    expect(previewCron('not cron at all', 'en', 5, from).ok).toBe(false)
  })
})
