/** A task's type and labels (issue 8): for cancel-by-type and for filtering the task list. */
import { TaskyardError } from './errors.ts'

export const MAX_LABELS = 20
const WORD = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/
const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.:=/-]{0,49}$/

const invalid = (error: string): TaskyardError => new TaskyardError('invalid_input', 'Invalid request', { error })

/** 'file_scan' and the like: 1–100 of letters, digits, `_ . : -`, not starting with a sign; '' or null: none. */
export function parseTaskType(value: unknown): string | null {
  if (value === null) return null
  if (typeof value !== 'string') throw invalid('task_type must be a string')
  const type = value.trim()
  if (type === '') return null
  if (!WORD.test(type)) throw invalid(`task_type must be 1–100 letters, digits or _ . : - (starting with a letter or digit), got ${JSON.stringify(value)}`)
  return type
}

/**
 * A list of labels, or one string of them separated by commas (a form field); each 1–50 of
 * letters, digits, `_ . : = / -`; at most 20, duplicates dropped, order kept. null or '': none.
 */
export function parseLabels(value: unknown): string[] {
  if (value === null) return []
  const items = typeof value === 'string' ? (value.trim() === '' ? [] : value.split(',')) : value
  if (!Array.isArray(items) || !items.every((l) => typeof l === 'string')) throw invalid('labels must be a list of strings or a comma-separated string')
  const labels = [...new Set(items.map((l) => l.trim()))]
  const bad = labels.find((l) => !LABEL.test(l))
  if (bad !== undefined) throw invalid(`Each label must be 1–50 letters, digits or _ . : = / - (starting with a letter or digit), got ${JSON.stringify(bad)}`)
  if (labels.length > MAX_LABELS) throw invalid(`A task has at most ${MAX_LABELS} labels, got ${labels.length}`)
  return labels
}
