import { authenticationRequired, TaskyardError } from '../../domain/errors.ts'
import type { ScheduleSlot } from '../../domain/schedule-slot.ts'
import type { Task } from '../../domain/task.ts'
import { can } from '../../domain/user.ts'
import { assertTaskPermission } from '../auth/task-permission.ts'
import type { ServiceDeps } from '../deps.ts'
import type { Actor } from '../auth/record-audit.ts'

/** A task's schedule exists while it has a cron expression (spec 003's schedules are cron only). */
export function scheduleNotFound(taskId: number | string): TaskyardError {
  return new TaskyardError('schedule_not_found', `Schedule for task ${taskId} not found`, {
    error: `Task ${taskId} has no cron schedule (give it a cron_expression with PUT /api/tasks/${taskId})`,
  })
}

/** spec 003 GET /schedule: every cron task the user may read, by task id. */
export async function listSchedules(deps: ServiceDeps, actor: Actor): Promise<Task[]> {
  const user = actor.user
  if (!user) throw authenticationRequired()
  return (await deps.store.tasks.listScheduled()).filter((task) => can(user, 'read', task))
}

/** spec 003 GET /schedule/{id}: one task's schedule; 404 for a task without cron. */
export async function findSchedule(deps: ServiceDeps, actor: Actor, taskId: number): Promise<Task> {
  await assertTaskPermission(deps, actor.user, 'read', taskId)
  const task = await deps.store.tasks.findById(taskId)
  if (!task?.cronExpression) throw scheduleNotFound(taskId)
  return task
}

export const MAX_SLOT_HISTORY = 1_000

/** The times a task's schedule decided about, latest first: fired with their runs, skipped with why. */
export async function scheduleHistory(deps: ServiceDeps, actor: Actor, taskId: number, limit: number): Promise<{ task: Task; slots: ScheduleSlot[] }> {
  const task = await findSchedule(deps, actor, taskId)
  return { task, slots: await deps.store.scheduleSlots.listForTask(taskId, Math.min(limit, MAX_SLOT_HISTORY)) }
}
