import { TaskyardError } from '../domain/errors.ts'
import { DEFAULT_PRIORITY, parsePriority } from '../domain/priority.ts'
import { assertValidCron, initialNextRunAt, parseDelaySeconds } from '../domain/schedule.ts'
import type { Task } from '../domain/task.ts'
import { assertCommandFileExists } from '../domain/task-command.ts'
import { ENV_NAME_PATTERN, type InstallResult } from '../environments/environments.ts'
import type { Role } from '../domain/user.ts'
import type { ServiceDeps } from './deps.ts'
import { parseRunPolicy } from './run-policy-fields.ts'

export interface CreateTaskInput {
  upload: { path: string; filename: string } | null
  condaEnv?: string | undefined
  taskName?: string | undefined
  requirements?: string | undefined
  reuseEnv?: string | undefined
  cronExpression?: string | undefined
  delaySeconds?: string | undefined
  command?: string | undefined
  priority?: string | undefined
  /** The user creating it (issue 3: ownership is a column). */
  ownerId?: number | null
  /** Issue 6: admins only. */
  runAs?: string | undefined
  memoryLimitMb?: string | undefined
  maxLogMb?: string | undefined
  /** The creator's role: run_as is for admins. Absent = admin (callers without accounts). */
  actorRole?: Role
}

export interface CreatedTask {
  task: Task
  environmentMessage: string
}

const MAX_NAME_LENGTH = 200
const MAX_COMMAND_LENGTH = 8192

/** Empty form fields count as absent, as browsers send every field of a form. */
export function present(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

export function parseBoolean(field: string, value: string | undefined): boolean {
  if (value === undefined) return false
  const v = value.trim().toLowerCase()
  if (['true', '1', 'yes', 'on'].includes(v)) return true
  if (['false', '0', 'no', 'off'].includes(v)) return false
  throw new TaskyardError('invalid_input', 'Invalid request', { error: `${field} must be true or false, got '${value}'` })
}

export function assertEnvName(name: string): void {
  if (!ENV_NAME_PATTERN.test(name)) {
    throw new TaskyardError('invalid_input', 'Invalid environment name', {
      error: `Environment name '${name}' is not allowed: use 1-64 letters, digits, '.', '_' or '-', not starting with '.' or '-'`,
    })
  }
}

export function assertTaskName(name: string): void {
  if (name.length > MAX_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new TaskyardError('invalid_input', 'Invalid task name', {
      error: `Task name must be 1-${MAX_NAME_LENGTH} characters without control characters`,
    })
  }
}

export function assertCommand(command: string): void {
  if (command.length > MAX_COMMAND_LENGTH || command.includes('\u0000')) {
    throw new TaskyardError('invalid_input', 'Invalid command', {
      error: `Command must be at most ${MAX_COMMAND_LENGTH} characters without NUL bytes`,
    })
  }
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
 * spec 000 create: validates everything, prepares the files, makes the environment ready, then
 * stores the task and moves its files into place in one transaction. Neither cron nor delay: the
 * task runs now. Whatever fails, nothing of the request stays behind (but an environment that was
 * created successfully, which is the user's to reuse).
 */
export async function createTask(deps: ServiceDeps, input: CreateTaskInput): Promise<CreatedTask> {
  const upload = input.upload
  try {
    if (!upload) {
      throw new TaskyardError('no_script_file', 'No script file provided', { error: 'script_file is required' })
    }
    const policy = await parseRunPolicy(deps, input.actorRole ?? 'admin', {
      runAs: present(input.runAs),
      memoryLimitMb: present(input.memoryLimitMb),
      maxLogMb: present(input.maxLogMb),
    })
    const condaEnv = present(input.condaEnv)?.trim()
    if (!condaEnv) throw new TaskyardError('invalid_input', 'Missing required field', { error: 'conda_env is required' })
    assertEnvName(condaEnv)
    const name = (present(input.taskName) ?? upload.filename).trim()
    assertTaskName(name)
    const reuseEnv = parseBoolean('reuse_env', present(input.reuseEnv))
    const priority = present(input.priority) ? parsePriority(input.priority!.trim()) : DEFAULT_PRIORITY
    // A sent but blank cron_expression or delay_seconds is refused rather than read as "run now":
    // `-F cron_expression="$CRON"` with CRON unset must not start the task.
    const cron = input.cronExpression?.trim() ?? null
    const delayRaw = input.delaySeconds
    if (cron !== null && delayRaw !== undefined) {
      throw new TaskyardError('both_cron_and_delay', 'Please specify either cron expression or delay seconds, not both', {
        error: 'Cannot specify both cron_expression and delay_seconds',
      })
    }
    if (cron !== null) assertValidCron(cron)
    const delaySeconds = delayRaw !== undefined ? parseDelaySeconds(delayRaw) : null
    const command = present(input.command)?.trim()
    if (command) assertCommand(command)
    // Browsers send form text with CRLF line ends (HTML form encoding); requirements are stored with LF.
    const requirements = present(input.requirements)?.replace(/\r\n?/g, '\n') ?? null

    if (await deps.store.tasks.findByName(name)) throw nameTaken(name)
    const envExists = await deps.environments.exists(condaEnv)
    if (reuseEnv && !envExists) {
      throw new TaskyardError('reuse_missing_env', 'Cannot reuse non-existing environment', {
        error: `Environment '${condaEnv}' not found`,
      })
    }

    const prepared = await deps.files.prepare(upload, command ?? null)
    try {
      const taskCommand = command ?? deps.files.defaultCommand(prepared.source, prepared.scriptFile)
      if (taskCommand === null) throw commandRequired(prepared.scriptFile)
      assertCommandFileExists(taskCommand, prepared.files)
      const ensured = await deps.environments.ensure(condaEnv, requirements)
      if (ensured.install && !ensured.install.success) throw requirementsFailed(ensured.install, envExists)

      const now = deps.clock.now()
      const runsNow = !cron && delaySeconds == null
      const task = await deps.store.transaction(async (tx) => {
        const created = await tx.tasks.insert({
          name,
          source: prepared.source,
          scriptFile: prepared.scriptFile,
          command: taskCommand,
          condaEnv,
          requirements,
          cronExpression: cron,
          delaySeconds,
          priority,
          status: runsNow ? 'running' : 'scheduled',
          createdAt: now,
          updatedAt: now,
          nextRunAt: initialNextRunAt({ cronExpression: cron, delaySeconds }, now, deps.settings.timeZone),
          ownerId: input.ownerId ?? null,
          ...policy,
        })
        // Inside the transaction: if the move fails, the task row is rolled back with it.
        await deps.files.install(prepared.dir, created.id)
        if (runsNow) await tx.runs.insert({ taskId: created.id, priority, trigger: 'create', queuedAt: now })
        return created
      })
      // After commit, or the dispatcher or scheduler may look before the rows exist.
      deps.runControl.wake()
      deps.wakeScheduler()
      deps.bus.emit('task:changed', { taskId: task.id })
      return { task, environmentMessage: ensured.message }
    } finally {
      await deps.files.discard(prepared.dir)
    }
  } finally {
    if (upload) await deps.files.discard(upload.path)
  }
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
