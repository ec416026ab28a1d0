import { TaskyardError } from '../domain/errors.ts'
import { initialNextRunAt } from '../domain/schedule.ts'
import type { Task, TaskRunPolicy, TaskSchedulePolicy } from '../domain/task.ts'
import { assertCommandFileExists } from '../domain/task-command.ts'
import type { InstallResult } from '../environments/environments.ts'
import { assertAdmits } from './queue/admit-run.ts'
import { recordAudit, type Actor } from './auth/record-audit.ts'
import { assertTaskPermission } from './auth/task-permission.ts'
import { checkRunPolicy } from './check-run-policy.ts'
import type { ServiceDeps } from './deps.ts'
import { assertTaskCommandAllowed } from './servers/check-command.ts'

/** A new task as the request gave it, each field parsed and checked on its own (http/parse/create-task-form.ts). */
export interface CreateTaskInput {
  /** The uploaded script or ZIP, whole on disk; this service removes it, whatever happens. */
  upload: { path: string; filename: string }
  name: string
  condaEnv: string
  requirements: string | null
  reuseEnv: boolean
  cronExpression: string | null
  delaySeconds: number | null
  /** null: the default for the uploaded file. */
  command: string | null
  priority: number
  runPolicy: TaskRunPolicy
  /** Issue 8: for cancel-by-type and the task list's filters. */
  taskType?: string | null
  labels?: string[]
  /** time_zone and misfire (issue 8); absent fields take their defaults. */
  schedulePolicy?: TaskSchedulePolicy
}

export interface CreatedTask {
  task: Task
  environmentMessage: string
}

/** spec 000's body for a failed requirements install. */
export function requirementsFailed(install: InstallResult, existing: boolean): TaskyardError {
  const body = {
    error: install.error ?? `Could not install: ${install.failedPackages.join(', ')}`,
    failed_packages: install.failedPackages,
    error_details: install.errorDetails,
  }
  return existing
    ? new TaskyardError('requirements_failed_existing', 'Failed to install requirements in existing environment', {
        ...body,
        environment_state: 'Environment may be in an inconsistent state, consider restoring from backup',
      })
    : new TaskyardError('requirements_failed_new', 'Failed to install requirements in new environment', body)
}

/**
 * spec 000 create: the permission first, then the request is read (`readInput`: a refused user's
 * upload is never stored), the files prepared and the environment made ready; then the task, its
 * first run (neither cron nor delay: it runs now) and the audit entry are stored, and its files
 * moved into place, in one transaction. Whatever fails, nothing of the request stays behind (but
 * an environment that was created successfully, which is the user's to reuse).
 */
export async function createTask(deps: ServiceDeps, actor: Actor, readInput: () => Promise<CreateTaskInput>): Promise<CreatedTask> {
  const user = await assertTaskPermission(deps, actor.user, 'create', null)
  const input = await readInput()
  const { upload, name, condaEnv, command, priority } = input
  try {
    const policy = await checkRunPolicy(deps, user.role, input.runPolicy)
    if (await deps.store.tasks.findByName(name)) throw nameTaken(name)
    const envExists = await deps.environments.exists(condaEnv)
    if (input.reuseEnv && !envExists) {
      throw new TaskyardError('reuse_missing_env', 'Cannot reuse non-existing environment', {
        error: `Environment '${condaEnv}' not found`,
      })
    }

    const prepared = await deps.files.prepare(upload, command)
    try {
      const taskCommand = command ?? deps.files.defaultCommand(prepared.source, prepared.scriptFile)
      if (taskCommand === null) throw commandRequired(prepared.scriptFile)
      assertCommandFileExists(taskCommand, prepared.files)
      // Issue 12: a local shell command passes the deny-list too, unless an admin switched that off.
      await assertTaskCommandAllowed(deps, null, taskCommand)
      const ensured = await deps.environments.ensure(condaEnv, input.requirements)
      if (ensured.install && !ensured.install.success) throw requirementsFailed(ensured.install, envExists)
      await installNodeDependencies(deps, prepared.dir, taskCommand, prepared.files, policy.nodeVersion ?? null)

      const now = deps.clock.now()
      const { cronExpression, delaySeconds } = input
      const runsNow = !cronExpression && delaySeconds == null
      const stored = await deps.store.transaction(async (tx) => {
        // Before anything is written: a refused submit (when_busy 'refuse') keeps nothing.
        if (runsNow) await assertAdmits(tx, deps.settings.maxWorkers)
        const created = await tx.tasks.insert({
          name,
          source: prepared.source,
          scriptFile: prepared.scriptFile,
          command: taskCommand,
          condaEnv,
          requirements: input.requirements,
          cronExpression,
          delaySeconds,
          priority,
          status: runsNow ? 'running' : 'scheduled',
          createdAt: now,
          updatedAt: now,
          nextRunAt: initialNextRunAt({ cronExpression, delaySeconds }, now, input.schedulePolicy?.timeZone ?? deps.settings.timeZone),
          ownerId: user.id,
          taskType: input.taskType ?? null,
          labels: input.labels ?? [],
          ...policy,
          ...input.schedulePolicy,
        })
        // Before the files move: a refused entry leaves no task directory behind.
        await recordAudit(tx, deps.clock, actor, 'task.create', { type: 'task', id: created.id }, { task_name: created.name })
        // Inside the transaction: if the move fails, the task row is rolled back with it.
        await deps.files.install(prepared.dir, created.id)
        if (!runsNow) return { created, claimedOwnRun: false, claim: null }
        const run = await tx.runs.insert({ taskId: created.id, priority, trigger: 'create', queuedAt: now })
        // Issue 10: with a slot free the run is claimed here, so it starts right after the commit.
        const claim = (await deps.runControl.claimWithin?.(tx)) ?? null
        return { created, claimedOwnRun: claim?.runId === run.id, claim }
      })
      const { created: task, claimedOwnRun, claim } = stored
      claim?.start()
      // After commit, or the dispatcher or scheduler may look before the rows exist.
      if (!claimedOwnRun) deps.runControl.wake()
      // Issue 10: a task that only runs now (no cron, no delay) gives the scheduler nothing to plan.
      if (!runsNow) deps.wakeScheduler()
      deps.bus.emit('task:changed', { taskId: task.id })
      deps.bus.emit('task:run-as', { taskId: task.id, runAs: task.runAs })
      return { task, environmentMessage: ensured.message }
    } finally {
      await deps.files.discard(prepared.dir)
    }
  } finally {
    await deps.files.discard(upload.path)
  }
}

/** A Node.js task's npm install, in its staged files (before anything is stored); refused with spec 000's body when it fails. */
export async function installNodeDependencies(
  deps: ServiceDeps,
  stagingDir: string,
  command: string,
  files: readonly string[],
  nodeVersion: string | null,
): Promise<void> {
  const result = (await deps.files.installNodeDependencies?.(stagingDir, command, files, nodeVersion)) ?? null
  if (result === null || result.success) return
  throw new TaskyardError('node_dependencies_failed', 'Failed to install Node.js dependencies', {
    error: result.error ?? `Could not install: ${result.failedPackages.join(', ')}`,
    failed_packages: result.failedPackages,
    error_details: result.errorDetails,
  })
}

export function nameTaken(name: string): TaskyardError {
  return new TaskyardError('name_taken', 'Task with this name already exists', { error: `Task with name '${name}' already exists` })
}

/** A single file whose extension names no interpreter, sent without a command. */
export function commandRequired(fileName: string): TaskyardError {
  return new TaskyardError('invalid_input', 'Missing required field', {
    error: `command is required: Taskyard does not know how to run '${fileName}' (it runs .py with python, .sh with sh, .js and .mjs with node)`,
  })
}
