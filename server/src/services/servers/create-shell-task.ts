import { initialNextRunAt } from '../../domain/schedule.ts'
import type { ConcurrencyPolicy, Task, TaskRunPolicy } from '../../domain/task.ts'
import { recordAudit, type Actor } from '../auth/record-audit.ts'
import { assertTaskPermission } from '../auth/task-permission.ts'
import { nameTaken } from '../create-task.ts'
import type { ServiceDeps } from '../deps.ts'
import { assertCommandAllowed } from './check-command.ts'
import { findServer } from './find-server.ts'
import { assertMayRunOn } from './server-access.ts'

/** spec 001's POST /api/tasks body, parsed (http/parse/create-shell-task-body.ts). */
export interface CreateShellTaskInput {
  name: string
  command: string
  serverId: number
  /** null: spec 001's `@once` — one run, now. */
  cronExpression: string | null
  priority: number
  /** Issue 8's retry policy; absent fields take their defaults. */
  retries?: Pick<TaskRunPolicy, 'maxRetries' | 'retryBackoffSeconds' | 'retryMaxBackoffSeconds'>
  /** Issue 8: the task's concurrency policy. */
  concurrency: ConcurrencyPolicy
}

/**
 * spec 001 create: a shell command on a registered server. In this order, so a refused request
 * stores and sends nothing: the role (before the body is read), the server and the user's right to run there, the deny-list
 * (on the command as the shell reads it), the name. Then the task, its server link, its first
 * run (`@once`) and the audit entry, in one transaction.
 */
export async function createShellTask(deps: ServiceDeps, actor: Actor, readInput: () => CreateShellTaskInput): Promise<{ task: Task; serverId: number }> {
  const user = await assertTaskPermission(deps, actor.user, 'create', null)
  const input = readInput()
  const server = await findServer(deps, input.serverId)
  assertMayRunOn(user, server)
  const { disabledRules, extraPrograms } = deps.settings.commandDenyList
  assertCommandAllowed(input.command, { enabled: true, disabledRules, extraPrograms })
  const now = deps.clock.now()
  const { cronExpression, priority } = input
  const task = await deps.store.transaction(async (tx) => {
    if (await tx.tasks.findByName(input.name)) throw nameTaken(input.name)
    const created = await tx.tasks.insert({
      name: input.name,
      // No files: the command is the whole task. The environment is not used on a server.
      source: 'file',
      scriptFile: '',
      command: input.command,
      condaEnv: 'base',
      requirements: null,
      cronExpression,
      delaySeconds: null,
      priority,
      status: cronExpression ? 'scheduled' : 'running',
      createdAt: now,
      updatedAt: now,
      nextRunAt: initialNextRunAt({ cronExpression, delaySeconds: null }, now, deps.settings.timeZone),
      ownerId: user.id,
      ...input.retries,
      concurrency: input.concurrency,
    })
    await tx.servers.setTaskServer(created.id, server.id)
    await recordAudit(tx, deps.clock, actor, 'task.create', { type: 'task', id: created.id }, { task_name: created.name, server_id: server.id })
    if (!cronExpression) await tx.runs.insert({ taskId: created.id, priority, trigger: 'create', queuedAt: now })
    return created
  })
  // After commit, or the dispatcher or scheduler may look before the rows exist.
  deps.runControl.wake()
  deps.wakeScheduler()
  deps.bus.emit('task:changed', { taskId: task.id })
  deps.bus.emit('task:run-as', { taskId: task.id, runAs: task.runAs })
  return { task, serverId: server.id }
}
