import { envNotFound } from '../domain/environment.ts'
import { rethrowInUpdateWords } from '../domain/errors.ts'
import { initialNextRunAt } from '../domain/schedule.ts'
import { assertCanApply } from '../domain/task-actions.ts'
import type { Task, TaskPatch, TaskRunPolicy, TaskSchedulePolicy } from '../domain/task.ts'
import { recordAudit, type Actor } from './auth/record-audit.ts'
import { assertTaskPermission } from './auth/task-permission.ts'
import { checkRunPolicy } from './check-run-policy.ts'
import { nameTaken, requirementsFailed } from './create-task.ts'
import type { ServiceDeps } from './deps.ts'
import { assertTaskCommandAllowed } from './servers/check-command.ts'
import { assertRunPolicyFitsServer } from './servers/check-remote-policy.ts'
import { findTaskOrThrow } from './find-task.ts'

/** A PUT's changes, each parsed and checked on its own (http/parse/update-task-body.ts); undefined leaves a field. */
export interface UpdateTaskInput {
  name?: string | undefined
  /** The new content of the task's script. */
  script?: string | undefined
  condaEnv?: string | undefined
  /** null clears the schedule; a string replaces a delay. */
  cronExpression?: string | null | undefined
  /** Blank clears them. */
  requirements?: string | undefined
  /** Replaces a cron schedule. */
  delaySeconds?: number | undefined
  priority?: number | undefined
  command?: string | undefined
  runPolicy: TaskRunPolicy
  /** Issue 8; null clears it. */
  taskType?: string | null | undefined
  labels?: string[] | undefined
  /** time_zone and misfire (issue 8); a field left out stays. */
  schedulePolicy?: TaskSchedulePolicy
}

export interface UpdatedTask {
  task: Task
  /** spec 000 `requirements_update`; null when no requirements were given. */
  requirementsUpdate: { success: boolean; installedPackages: string[]; failedPackages: string[] } | null
}

/**
 * spec 000 PUT: the task's refusals first (404, 403, a running task), then the body is read
 * (`readInput`), then what needs the store and the environments; nothing changes before all of
 * it passed. cron_expression replaces a delay and delay_seconds a cron schedule. `script` is the
 * new content of the task's script (never a server path: that would let a user read any file of
 * the host). The change and its audit entry are one transaction.
 */
export async function updateTask(deps: ServiceDeps, actor: Actor, taskId: number, readInput: () => UpdateTaskInput): Promise<UpdatedTask> {
  const user = await assertTaskPermission(deps, actor.user, 'update', taskId)
  const current = await findTaskOrThrow(deps.store, taskId)
  assertCanApply('update', current.status)
  const input = readInput()
  // Issue 12: the deny-list before anything changes (a task on a server always; a local one unless switched off).
  if (input.command !== undefined) await assertTaskCommandAllowed(deps, taskId, input.command)
  const policy = await checkRunPolicy(deps, user.role, input.runPolicy).catch(rethrowInUpdateWords)
  // Issue 12: a limit a run on a server cannot honour is refused here, not ignored at run time.
  await assertRunPolicyFitsServer(deps, taskId, policy).catch(rethrowInUpdateWords)
  const { name, script, condaEnv, requirements, command, priority, cronExpression: cron, delaySeconds } = input
  if (name !== undefined && name !== current.name) {
    const other = await deps.store.tasks.findByName(name)
    if (other && other.id !== taskId) throw nameTaken(name)
  }
  const envName = condaEnv ?? current.condaEnv
  if (condaEnv !== undefined && !(await deps.environments.exists(condaEnv))) throw envNotFound(condaEnv)

  let requirementsUpdate: UpdatedTask['requirementsUpdate'] = null
  if (requirements !== undefined && requirements.trim() !== '') {
    const install = await deps.environments.install(envName, requirements)
    if (!install.success) throw requirementsFailed(install, true)
    requirementsUpdate = { success: true, installedPackages: install.installedPackages, failedPackages: [] }
  }

  const now = deps.clock.now()
  const patch: TaskPatch = { updatedAt: now, ...policy, ...input.schedulePolicy }
  const zone = (input.schedulePolicy?.timeZone !== undefined ? input.schedulePolicy.timeZone : current.timeZone) ?? deps.settings.timeZone
  if (name !== undefined) patch.name = name
  if (condaEnv !== undefined) patch.condaEnv = condaEnv
  if (requirements !== undefined) patch.requirements = requirements.trim() === '' ? null : requirements
  if (command !== undefined) patch.command = command
  if (priority !== undefined) patch.priority = priority
  if (input.taskType !== undefined) patch.taskType = input.taskType
  if (input.labels !== undefined) patch.labels = input.labels
  if (typeof cron === 'string' || delaySeconds !== undefined) {
    patch.cronExpression = typeof cron === 'string' ? cron : null
    patch.delaySeconds = delaySeconds ?? null
    patch.nextRunAt = initialNextRunAt({ cronExpression: patch.cronExpression, delaySeconds: patch.delaySeconds }, now, zone)
    // A new schedule puts a finished or waiting task back on it; paused and stopped keep their word.
    if (['scheduled', 'completed', 'failed'].includes(current.status)) patch.status = 'scheduled'
  } else if (input.schedulePolicy?.timeZone !== undefined && current.cronExpression && current.nextRunAt != null) {
    // The same expression in another zone: its next time is read again from now.
    patch.nextRunAt = initialNextRunAt({ cronExpression: current.cronExpression, delaySeconds: null }, now, zone)
  } else if (cron === null && current.cronExpression) {
    patch.cronExpression = null
    patch.nextRunAt = null
    if (current.status === 'scheduled') patch.status = 'completed'
  }

  const task = await deps.store.transaction(async (tx) => {
    const fresh = await findTaskOrThrow(tx, taskId)
    assertCanApply('update', fresh.status)
    // Before the script is written: a refused entry leaves the file as it was.
    await recordAudit(tx, deps.clock, actor, 'task.update', { type: 'task', id: taskId })
    if (script !== undefined) {
      await deps.files.writeScript(taskId, fresh.source === 'file' ? fresh.scriptFile : 'main.py', script)
    }
    return (await tx.tasks.update(taskId, patch))!
  })
  deps.wakeScheduler()
  deps.bus.emit('task:changed', { taskId })
  deps.bus.emit('task:run-as', { taskId, runAs: task.runAs })
  return { task, requirementsUpdate }
}
