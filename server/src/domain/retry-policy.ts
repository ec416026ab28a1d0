/**
 * Automatic retries (issue 8): which ended runs are retried, and how long each retry waits.
 * Pure: close-run.ts applies it in the transaction that closes the failed run.
 */
import { TaskyardError } from './errors.ts'
import { RETRYABLE_RUN_STATUSES, type Run, type RunStatus } from './run.ts'
import type { Task, TaskStatus } from './task.ts'

/** The most retries a task may ask for: a run that fails every time is not retried for ever. */
export const MAX_RETRIES = 10
/** The longest backoff, base or cap, accepted: one day. */
export const MAX_BACKOFF_SECONDS = 24 * 60 * 60
export const DEFAULT_RETRY_BACKOFF_SECONDS = 10
export const DEFAULT_RETRY_MAX_BACKOFF_SECONDS = 3600

function wholeNumber(field: string, value: unknown, min: number, max: number, unit: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN
  if (Number.isInteger(n) && n >= min && n <= max) return n
  throw new TaskyardError('invalid_input', 'Invalid request', {
    error: `${field} must be a whole number${unit} from ${min} to ${max}, got ${JSON.stringify(value)}`,
  })
}

export const parseMaxRetries = (value: unknown): number => wholeNumber('max_retries', value, 0, MAX_RETRIES, '')
export const parseRetryBackoffSeconds = (value: unknown): number => wholeNumber('retry_backoff_seconds', value, 1, MAX_BACKOFF_SECONDS, ' of seconds')
export const parseRetryMaxBackoffSeconds = (value: unknown): number => wholeNumber('retry_max_backoff_seconds', value, 1, MAX_BACKOFF_SECONDS, ' of seconds')

/** How long the retry that follows attempt `failedAttempt` waits: base × 2^(failedAttempt − 1), at most the cap. */
export function retryDelayMs(task: Pick<Task, 'retryBackoffSeconds' | 'retryMaxBackoffSeconds'>, failedAttempt: number): number {
  const exponent = Math.min(Math.max(failedAttempt - 1, 0), 30)
  return Math.min(task.retryBackoffSeconds * 2 ** exponent, task.retryMaxBackoffSeconds) * 1000
}

/**
 * True when the run that just ended gets an automatic retry: it went wrong (failed, timeout,
 * abnormal — never a stop, a cancel or a success), attempts remain, and nothing a user did moved
 * the task off 'running' (a stop or pause keeps its word, as in run-outcome.ts).
 */
export function shouldRetry(task: Pick<Task, 'status' | 'maxRetries'>, run: Pick<Run, 'attempt'>, ended: RunStatus): boolean {
  const stillRunning: TaskStatus = 'running'
  return RETRYABLE_RUN_STATUSES.includes(ended) && task.status === stillRunning && run.attempt <= task.maxRetries
}
