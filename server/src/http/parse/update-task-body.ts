/** PUT /api/tasks/<id>: spec 000's JSON body into a typed UpdateTaskInput, refused in PUT's own words. */
import { invalidUpdate, rethrowInUpdateWords } from '../../domain/errors.ts'
import { assertEnvironmentName, assertTaskName } from '../../domain/names.ts'
import { parsePriority } from '../../domain/priority.ts'
import { parseLabels, parseTaskType } from '../../domain/task-labels.ts'
import { delayError } from '../../domain/schedule.ts'
import { assertCommand } from '../../domain/task-command.ts'
import { cronError } from '../../lib/cron.ts'
import type { UpdateTaskInput } from '../../services/update-task.ts'
import { parseRunPolicyFields, type RunPolicyFields } from './run-policy-fields.ts'
import { parseScheduleFields, type ScheduleFields } from './schedule-fields.ts'

/** spec 000 PUT body; every field optional. `command` is ours, in the same style. */
export interface UpdateTaskBody extends RunPolicyFields, ScheduleFields {
  task_name?: unknown
  script?: unknown
  conda_env?: unknown
  cron_expression?: unknown
  requirements?: unknown
  delay_seconds?: unknown
  priority?: unknown
  command?: unknown
  task_type?: unknown
  labels?: unknown
}

const invalid = invalidUpdate

/** PUT answers a bad value in its own words, as the checks it shares with create word it otherwise. */
function inUpdateWords<T>(parse: () => T): T {
  try {
    return parse()
  } catch (e) {
    rethrowInUpdateWords(e)
  }
}

function optionalString(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw invalid(`${field} must be a string`)
  return value
}

/**
 * The whole body is checked before anything changes. null clears a schedule (cron_expression)
 * or a run policy field; an empty or blank cron or delay is a mistake (an unset shell variable),
 * not a request.
 */
export function parseUpdateTaskBody(body: UpdateTaskBody, serverMaxLogBytes: number): UpdateTaskInput {
  const runPolicy = inUpdateWords(() => parseRunPolicyFields(body, serverMaxLogBytes))
  const schedulePolicy = parseScheduleFields(body)
  const name = optionalString('task_name', body.task_name)?.trim()
  if (name !== undefined) {
    if (name === '') throw invalid('task_name must not be empty')
    assertTaskName(name)
  }
  const script = optionalString('script', body.script)
  const condaEnv = optionalString('conda_env', body.conda_env)?.trim()
  if (condaEnv !== undefined) assertEnvironmentName(condaEnv)
  const requirements = optionalString('requirements', body.requirements)
  const command = optionalString('command', body.command)?.trim()
  if (command !== undefined) {
    if (command === '') throw invalid('command must not be empty')
    assertCommand(command)
  }
  const hasCron = body.cron_expression !== undefined && body.cron_expression !== null
  const hasDelay = body.delay_seconds !== undefined && body.delay_seconds !== null
  if (hasCron && hasDelay) throw invalid('Cannot specify both cron_expression and delay_seconds')
  let cronExpression: string | null | undefined = body.cron_expression === null ? null : undefined
  if (hasCron) {
    if (typeof body.cron_expression !== 'string') throw invalid('cron_expression must be a string')
    cronExpression = body.cron_expression.trim()
    const reason = cronError(cronExpression)
    if (reason) throw invalid(`The provided cron expression is invalid: ${reason}`)
  }
  let delaySeconds: number | undefined
  if (hasDelay) {
    const problem = delayError(body.delay_seconds)
    if (problem) throw invalid(problem.error)
    delaySeconds = Number(body.delay_seconds)
  }
  const priority = body.priority === undefined ? undefined : inUpdateWords(() => parsePriority(body.priority))
  const taskType = body.task_type === undefined ? undefined : inUpdateWords(() => parseTaskType(body.task_type))
  const labels = body.labels === undefined ? undefined : inUpdateWords(() => parseLabels(body.labels))
  return { name, script, condaEnv, requirements, command, cronExpression, delaySeconds, priority, runPolicy, taskType, labels, schedulePolicy }
}
