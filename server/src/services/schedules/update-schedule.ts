import { initialNextRunAt } from '../../domain/schedule.ts'
import type { Task, TaskPatch, TaskSchedulePolicy } from '../../domain/task.ts'
import { recordAudit, type Actor } from '../auth/record-audit.ts'
import { assertTaskPermission } from '../auth/task-permission.ts'
import type { ServiceDeps } from '../deps.ts'
import { scheduleNotFound } from './find-schedule.ts'

/** spec 003 PUT /schedule/{id}, each field parsed and checked (http/parse/schedule-body.ts); undefined leaves it. */
export interface UpdateScheduleInput extends TaskSchedulePolicy {
  cronExpression?: string
  isEnabled?: boolean
  /** null or '' clears it. */
  description?: string | null
}

/**
 * Changes a cron task's schedule; the change and its audit entry are one transaction on the
 * task's locked row. A schedule switched on again, a new expression or a new zone reads its next
 * time from now: the times while it was off were not missed, so they are not made up for.
 */
export async function updateSchedule(deps: ServiceDeps, actor: Actor, taskId: number, input: UpdateScheduleInput): Promise<Task> {
  await assertTaskPermission(deps, actor.user, 'update', taskId)
  const task = await deps.store.transaction(async (tx) => {
    const current = await tx.tasks.lockById(taskId)
    if (!current?.cronExpression) throw scheduleNotFound(taskId)
    const now = deps.clock.now()
    const patch: TaskPatch = { updatedAt: now }
    if (input.cronExpression !== undefined) patch.cronExpression = input.cronExpression
    if (input.isEnabled !== undefined) patch.scheduleEnabled = input.isEnabled
    if (input.description !== undefined) patch.scheduleDescription = input.description === '' ? null : input.description
    if (input.timeZone !== undefined) patch.timeZone = input.timeZone
    if (input.misfire !== undefined) patch.misfire = input.misfire
    const cron = patch.cronExpression ?? current.cronExpression
    const zone = (patch.timeZone !== undefined ? patch.timeZone : current.timeZone) ?? deps.settings.timeZone
    const reread =
      cron !== current.cronExpression ||
      (patch.timeZone !== undefined && patch.timeZone !== current.timeZone) ||
      (input.isEnabled === true && !current.scheduleEnabled)
    // A stopped task (no next time, not 'scheduled') stays stopped: resume or trigger starts it again.
    if (reread && (current.nextRunAt != null || current.status === 'scheduled')) {
      patch.nextRunAt = initialNextRunAt({ cronExpression: cron, delaySeconds: null }, now, zone)
    }
    const changes = Object.fromEntries(
      Object.entries({
        cron_expression: input.cronExpression,
        is_enabled: input.isEnabled,
        description: input.description,
        time_zone: input.timeZone,
        misfire: input.misfire,
      }).filter(([, v]) => v !== undefined),
    )
    await recordAudit(tx, deps.clock, actor, 'schedule.update', { type: 'task', id: taskId }, changes)
    return (await tx.tasks.update(taskId, patch))!
  })
  deps.wakeScheduler()
  deps.bus.emit('task:changed', { taskId })
  return task
}
