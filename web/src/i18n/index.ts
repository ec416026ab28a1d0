import i18next from 'i18next'
import { initReactI18next } from 'react-i18next'
import { en } from './en'
import { zhCN } from './zh-CN'

export const LANGUAGES = ['zh-CN', 'en'] as const
export type Language = (typeof LANGUAGES)[number]
export const STORAGE_KEY = 'taskyard.language'

/** The remembered choice, else the browser's first language we have, else English. */
export function pickLanguage(stored: string | null, browser: readonly string[]): Language {
  if (stored && (LANGUAGES as readonly string[]).includes(stored)) return stored as Language
  for (const tag of browser) {
    const lower = tag.toLowerCase()
    if (lower.startsWith('zh')) return 'zh-CN'
    if (lower.startsWith('en')) return 'en'
  }
  return 'en'
}

function storedLanguage(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY)
  } catch {
    return null
  }
}

export const i18n = i18next.createInstance()
void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
  lng: pickLanguage(storedLanguage(), typeof navigator === 'undefined' ? [] : (navigator.languages ?? [navigator.language])),
  fallbackLng: false,
  // React escapes what it renders; i18next must not escape it a second time.
  interpolation: { escapeValue: false },
  returnNull: false,
})

export function setLanguage(language: Language): void {
  try {
    localStorage.setItem(STORAGE_KEY, language)
  } catch {
    // Private mode: the choice lasts for this page only.
  }
  void i18n.changeLanguage(language)
  document.documentElement.lang = language
}
