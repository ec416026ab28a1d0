import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { en } from './en'
import { pickLanguage } from './index'
import { zhCN } from './zh-CN'

function keys(obj: object, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) => (typeof v === 'string' ? [prefix + k] : keys(v as object, `${prefix}${k}.`)))
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name)
    if (statSync(p).isDirectory()) return sourceFiles(p)
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [p] : []
  })
}

function valueAt(obj: object, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj)
}

describe('translations', () => {
  it('have exactly the same keys in English and Chinese', () => {
    const enKeys = keys(en).sort()
    const zhKeys = keys(zhCN).sort()
    expect(zhKeys.filter((k) => !enKeys.includes(k))).toEqual([])
    expect(enKeys.filter((k) => !zhKeys.includes(k))).toEqual([])
  })

  it('have no empty string, and the same {{placeholders}} in both languages', () => {
    for (const k of keys(en)) {
      const a = valueAt(en, k) as string
      const b = valueAt(zhCN, k) as string
      expect(a.trim(), k).not.toBe('')
      expect(b.trim(), k).not.toBe('')
      const vars = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort()
      expect(vars(b), k).toEqual(vars(a))
    }
  })

  it('cover every literal key the code asks for', () => {
    const root = path.resolve(import.meta.dirname, '..')
    const missing: string[] = []
    for (const file of sourceFiles(root)) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) {
        if (typeof valueAt(en, m[1]!) !== 'string') missing.push(`${path.relative(root, file)}: ${m[1]}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('pick the remembered language, else the browser one, else English', () => {
    expect(pickLanguage('en', ['zh-CN'])).toBe('en')
    expect(pickLanguage(null, ['zh-TW', 'en'])).toBe('zh-CN')
    expect(pickLanguage(null, ['fr-FR', 'en-GB'])).toBe('en')
    expect(pickLanguage('xx', ['de'])).toBe('en')
  })
})
