import { Cron } from 'croner'
import cronstrue from 'cronstrue/i18n'

export interface CronPreview {
  ok: boolean
  /** The plain-language reading, in the UI's language. */
  reading: string
  /** The next fire times (at most `count`). */
  next: Date[]
  error?: string
}

/** cronstrue's locale names for the UI languages. */
const CRONSTRUE_LOCALE: Record<string, string> = { 'zh-CN': 'zh_CN', en: 'en' }

/** Reads a 5-field cron expression aloud and lists its next times, as the server's croner will fire them. */
export function previewCron(expression: string, language: string, count = 5, from: Date = new Date(), timezone?: string): CronPreview {
  const expr = expression.trim()
  if (expr === '') return { ok: false, reading: '', next: [], error: 'empty' }
  if (expr.split(/\s+/).length !== 5) return { ok: false, reading: '', next: [], error: 'fields' }
  let next: Date[]
  try {
    next = new Cron(expr, { paused: true, ...(timezone ? { timezone } : {}) }).nextRuns(count, from)
  } catch (e) {
    return { ok: false, reading: '', next: [], error: e instanceof Error ? e.message : String(e) }
  }
  let reading: string
  try {
    reading = cronstrue.toString(expr, { locale: CRONSTRUE_LOCALE[language] ?? 'en', use24HourTimeFormat: true, throwExceptionOnParseError: true })
  } catch (e) {
    return { ok: false, reading: '', next: [], error: String(e) }
  }
  return { ok: true, reading, next }
}
