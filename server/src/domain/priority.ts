import { TaskyardError } from './errors.ts'

/** spec 000 words are aliases of spec 002 numbers; the number is stored. */
export type PriorityWord = 'low' | 'normal' | 'high'
export const PRIORITY_BY_WORD: Record<PriorityWord, number> = { high: 2, normal: 5, low: 8 }
export const DEFAULT_PRIORITY = PRIORITY_BY_WORD.normal
export const MIN_PRIORITY = 0
export const MAX_PRIORITY = 11

/** Accepts 'low' | 'normal' | 'high' or an integer 0–11 (also as a numeric string). */
export function parsePriority(value: unknown): number {
  // Own keys only: `'toString' in PRIORITY_BY_WORD` is true, and its value is a function.
  if (typeof value === 'string' && Object.hasOwn(PRIORITY_BY_WORD, value)) return PRIORITY_BY_WORD[value as PriorityWord]
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN
  if (Number.isInteger(n) && n >= MIN_PRIORITY && n <= MAX_PRIORITY) return n
  throw new TaskyardError('invalid_input', 'Invalid priority', {
    error: `Priority must be 'low', 'normal', 'high' or an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}, got ${JSON.stringify(value)}`,
  })
}

/** The word spec 000's routes show for a stored number. */
export function priorityWord(priority: number): PriorityWord {
  if (priority <= 3) return 'high'
  if (priority <= 6) return 'normal'
  return 'low'
}
