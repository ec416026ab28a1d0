/** spec 001's POST /api/tasks JSON body into a typed CreateShellTaskInput, each field checked by name. */
import { TaskyardError } from '../../domain/errors.ts'
import { assertTaskName } from '../../domain/names.ts'
import { DEFAULT_PRIORITY, parsePriority } from '../../domain/priority.ts'
import { parseConcurrency } from '../../domain/concurrency.ts'
import { assertValidCron } from '../../domain/schedule.ts'
import { assertCommand } from '../../domain/task-command.ts'
import type { CreateShellTaskInput } from '../../services/servers/create-shell-task.ts'
import { assertKnownFields } from '../known-fields.ts'
import { parseRunPolicyFields } from './run-policy-fields.ts'

export const SHELL_TASK_FIELDS = [
  'name',
  'command',
  'server_id',
  'cron_expr',
  'priority',
  'concurrency',
  'max_retries',
  'retry_backoff_seconds',
  'retry_max_backoff_seconds',
] as const

/** spec 001: "即使为一次性任务也需提供" — a one-off task still names its schedule, as `@once`. */
export const ONCE = '@once'

const missing = (field: string, what: string): TaskyardError =>
  new TaskyardError('invalid_input', 'Missing required field', { error: `${field} is required (${what})` })
const invalid = (error: string): TaskyardError => new TaskyardError('invalid_input', 'Invalid request', { error })

export function parseCreateShellTaskBody(body: unknown): CreateShellTaskInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('The body must be a JSON object: {"name", "command", "server_id", "cron_expr"}')
  const b = body as Record<string, unknown>
  assertKnownFields(Object.keys(b), SHELL_TASK_FIELDS)
  if (b.name === undefined) throw missing('name', 'a string')
  if (typeof b.name !== 'string' || b.name.trim() === '') throw invalid(`name must be a non-empty string, got ${JSON.stringify(b.name)}`)
  const name = b.name.trim()
  assertTaskName(name)
  if (b.command === undefined) throw missing('command', 'the shell command to run on the server')
  if (typeof b.command !== 'string' || b.command.trim() === '') throw invalid(`command must be a non-empty string, got ${JSON.stringify(b.command)}`)
  const command = b.command.trim()
  assertCommand(command)
  if (b.server_id === undefined) throw missing('server_id', 'the id of a registered server')
  if (typeof b.server_id !== 'number' || !Number.isSafeInteger(b.server_id) || b.server_id < 1) {
    throw invalid(`server_id must be a positive integer, got ${JSON.stringify(b.server_id)}`)
  }
  if (b.cron_expr === undefined) throw missing('cron_expr', `a cron expression, or '${ONCE}' for one run now`)
  if (typeof b.cron_expr !== 'string' || b.cron_expr.trim() === '')
    throw invalid(`cron_expr must be a cron expression or '${ONCE}', got ${JSON.stringify(b.cron_expr)}`)
  const cron = b.cron_expr.trim()
  if (cron !== ONCE) assertValidCron(cron)
  const priority = b.priority === undefined ? DEFAULT_PRIORITY : parsePriority(b.priority)
  // Issue 8's retry policy, checked as multipart create and PUT check it (numbers only in JSON).
  for (const field of ['max_retries', 'retry_backoff_seconds', 'retry_max_backoff_seconds'] as const) {
    if (b[field] !== undefined && typeof b[field] !== 'number') throw invalid(`${field} must be a whole number, got ${JSON.stringify(b[field])}`)
  }
  const retries = parseRunPolicyFields(
    { max_retries: b.max_retries, retry_backoff_seconds: b.retry_backoff_seconds, retry_max_backoff_seconds: b.retry_max_backoff_seconds },
    Number.MAX_SAFE_INTEGER,
  )
  const concurrency = b.concurrency === undefined ? 'forbid' : parseConcurrency(b.concurrency)
  return { name, command, serverId: b.server_id, cronExpression: cron === ONCE ? null : cron, priority, retries, concurrency }
}
