import { TaskyardError } from '../domain/errors.ts'
import { parsePriority } from '../domain/priority.ts'
import { delayError, initialNextRunAt } from '../domain/schedule.ts'
import { assertCanApply } from '../domain/task-actions.ts'
import type { Task, TaskPatch } from '../domain/task.ts'
import { cronError } from '../lib/cron.ts'
import { assertCommand, assertEnvName, assertTaskName, nameTaken, requirementsFailed } from './create-task.ts'
import type { Role } from '../domain/user.ts'
import type { ServiceDeps } from './deps.ts'
import { parseRunPolicy } from './run-policy-fields.ts'
import { findTaskOrThrow } from './find-task.ts'

/** spec 000 PUT body; every field optional. `command` is ours, in the same style. */
export interface UpdateTaskInput {
  task_name?: unknown
  script?: unknown
  conda_env?: unknown
  cron_expression?: unknown
  requirements?: unknown
  delay_seconds?: unknown
  priority?: unknown
  command?: unknown
  /** Issue 6: run_as is for admins; null or '' clears each. */
  run_as?: unknown
  memory_limit_mb?: unknown
  max_log_mb?: unknown
}

export interface UpdatedTask {
  task: Task
  /** spec 000 `requirements_update`; null when no requirements were given. */
  requirementsUpdate: { success: boolean; installedPackages: string[]; failedPackages: string[] } | null
}

const invalid = (error: string): TaskyardError => new TaskyardError('invalid_update', 'Invalid update parameters', { error })

function optionalString(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw invalid(`${field} must be a string`)
  return value
}

/**
 * spec 000 PUT: validates the whole body before changing anything; a running task is refused.
 * cron_expression replaces a delay and delay_seconds a cron schedule. `script` is the new content
 * of the task's script (never a server path: that would let a user read any file of the host).
 */
export async function updateTask(deps: ServiceDeps, taskId: number, input: UpdateTaskInput, actorRole: Role = 'admin'): Promise<UpdatedTask> {
  const current = await findTaskOrThrow(deps.store, taskId)
  assertCanApply('update', current.status)
  let policy: Awaited<ReturnType<typeof parseRunPolicy>>
  try {
    policy = await parseRunPolicy(deps, actorRole, { runAs: input.run_as, memoryLimitMb: input.memory_limit_mb, maxLogMb: input.max_log_mb })
  } catch (e) {
    // PUT answers its bad input in its own words (spec 000 'Invalid update parameters'); a 403 stays one.
    if (e instanceof TaskyardError && e.code === 'invalid_input') throw invalid(e.details.error as string)
    throw e
  }

  const name = optionalString('task_name', input.task_name)?.trim()
  if (name !== undefined) {
    if (name === '') throw invalid('task_name must not be empty')
    assertTaskName(name)
  }
  const script = optionalString('script', input.script)
  const condaEnv = optionalString('conda_env', input.conda_env)?.trim()
  if (condaEnv !== undefined) assertEnvName(condaEnv)
  const requirements = optionalString('requirements', input.requirements)
  const command = optionalString('command', input.command)?.trim()
  if (command !== undefined) {
    if (command === '') throw invalid('command must not be empty')
    assertCommand(command)
  }
  // null clears a schedule; an empty or blank string is a mistake (an unset shell variable), not a request.
  const hasCron = input.cron_expression !== undefined && input.cron_expression !== null
  const hasDelay = input.delay_seconds !== undefined && input.delay_seconds !== null
  if (hasCron && hasDelay) throw invalid('Cannot specify both cron_expression and delay_seconds')
  let cron: string | undefined
  if (hasCron) {
    if (typeof input.cron_expression !== 'string') throw invalid('cron_expression must be a string')
    cron = input.cron_expression.trim()
    const reason = cronError(cron)
    if (reason) throw invalid(`The provided cron expression is invalid: ${reason}`)
  }
  let delaySeconds: number | undefined
  if (hasDelay) {
    const problem = delayError(input.delay_seconds)
    if (problem) throw invalid(problem.error)
    delaySeconds = Number(input.delay_seconds)
  }
  let priority: number | undefined
  if (input.priority !== undefined) {
    try {
      priority = parsePriority(input.priority)
    } catch (e) {
      throw invalid((e as TaskyardError).details.error as string)
    }
  }
  if (name !== undefined && name !== current.name) {
    const other = await deps.store.tasks.findByName(name)
    if (other && other.id !== taskId) throw nameTaken(name)
  }
  const envName = condaEnv ?? current.condaEnv
  if (condaEnv !== undefined && !(await deps.environments.exists(condaEnv))) {
    throw new TaskyardError('env_not_found', 'Environment not found', {
      error: `The specified conda environment '${condaEnv}' does not exist`,
    })
  }

  let requirementsUpdate: UpdatedTask['requirementsUpdate'] = null
  if (requirements !== undefined && requirements.trim() !== '') {
    const install = await deps.environments.install(envName, requirements)
    if (!install.success) throw requirementsFailed(install, true)
    requirementsUpdate = { success: true, installedPackages: install.installedPackages, failedPackages: [] }
  }

  const now = deps.clock.now()
  const patch: TaskPatch = { updatedAt: now, ...policy }
  if (name !== undefined) patch.name = name
  if (condaEnv !== undefined) patch.condaEnv = condaEnv
  if (requirements !== undefined) patch.requirements = requirements.trim() === '' ? null : requirements
  if (command !== undefined) patch.command = command
  if (priority !== undefined) patch.priority = priority
  if (cron !== undefined || delaySeconds !== undefined) {
    patch.cronExpression = cron ?? null
    patch.delaySeconds = delaySeconds ?? null
    patch.nextRunAt = initialNextRunAt({ cronExpression: cron ?? null, delaySeconds: delaySeconds ?? null }, now, deps.settings.timeZone)
    // A new schedule puts a finished or waiting task back on it; paused and stopped keep their word.
    if (['scheduled', 'completed', 'failed'].includes(current.status)) patch.status = 'scheduled'
  } else if (input.cron_expression === null && current.cronExpression) {
    patch.cronExpression = null
    patch.nextRunAt = null
    if (current.status === 'scheduled') patch.status = 'completed'
  }

  const task = await deps.store.transaction(async (tx) => {
    const fresh = await findTaskOrThrow(tx, taskId)
    assertCanApply('update', fresh.status)
    if (script !== undefined) {
      await deps.files.writeScript(taskId, fresh.source === 'file' ? fresh.scriptFile : 'main.py', script)
    }
    return (await tx.tasks.update(taskId, patch))!
  })
  deps.wakeScheduler()
  deps.bus.emit('task:changed', { taskId })
  return { task, requirementsUpdate }
}
