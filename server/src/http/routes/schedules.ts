import type { FastifyInstance, FastifyRequest } from 'fastify'
import { taskNotFound } from '../../domain/errors.ts'
import { findSchedule, listSchedules, scheduleHistory } from '../../services/schedules/find-schedule.ts'
import { updateSchedule } from '../../services/schedules/update-schedule.ts'
import type { HttpDeps } from '../app.ts'
import { actorOf } from '../auth-context.ts'
import { canonicalId } from '../canonical-id.ts'
import { parseScheduleBody, type ScheduleBody } from '../parse/schedule-body.ts'
import { presentSchedule, presentSlot } from '../present/schedule.ts'
import * as schemas from '../schemas/schedules.ts'

function taskIdOf(request: FastifyRequest): number {
  const raw = (request.params as { task_id: string }).task_id
  const id = canonicalId(raw)
  if (id === null) throw taskNotFound(raw)
  return id
}

/** Schedules (issue 8, spec 003's shape): a cron task's schedule, read and changed on its own. */
export function scheduleRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const services = deps.services

  app.get('/api/schedules', { schema: schemas.listSchedules }, async (request) => ({
    success: true,
    schedules: (await listSchedules(services, actorOf(request))).map(presentSchedule),
  }))

  app.get('/api/schedules/:task_id', { schema: schemas.getSchedule }, async (request) => ({
    success: true,
    schedule: presentSchedule(await findSchedule(services, actorOf(request), taskIdOf(request))),
  }))

  app.put('/api/schedules/:task_id', { schema: schemas.updateSchedule }, async (request) => {
    const taskId = taskIdOf(request)
    // 404 and 403 before the body is judged, as every task route answers.
    await findSchedule(services, actorOf(request), taskId)
    const input = parseScheduleBody((request.body ?? {}) as ScheduleBody)
    const task = await updateSchedule(services, actorOf(request), taskId, input)
    return { success: true, message: 'Schedule updated', schedule: presentSchedule(task) }
  })

  app.get('/api/schedules/:task_id/history', { schema: schemas.scheduleHistory }, async (request) => {
    const { limit } = request.query as { limit: number }
    const taskId = taskIdOf(request)
    const { slots } = await scheduleHistory(services, actorOf(request), taskId, limit)
    return { success: true, task_id: taskId, slots: slots.map(presentSlot) }
  })
}
