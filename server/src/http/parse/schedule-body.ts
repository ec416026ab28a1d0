/** PUT /api/schedules/<task_id>: spec 003's ScheduleUpdate (plus time_zone and misfire) as a typed input. */
import { TaskyardError } from '../../domain/errors.ts'
import { assertValidCron } from '../../domain/schedule.ts'
import type { UpdateScheduleInput } from '../../services/schedules/update-schedule.ts'
import { parseScheduleFields, type ScheduleFields } from './schedule-fields.ts'

export interface ScheduleBody extends ScheduleFields {
  cron_expression?: unknown
  is_enabled?: unknown
  description?: unknown
}

const MAX_DESCRIPTION = 1_000

function invalid(error: string): TaskyardError {
  return new TaskyardError('invalid_input', 'Invalid request', { error })
}

/** The whole body is checked before anything changes; an empty body is a mistake, not a no-op. */
export function parseScheduleBody(body: ScheduleBody): UpdateScheduleInput {
  const input: UpdateScheduleInput = { ...parseScheduleFields(body) }
  if (body.cron_expression !== undefined) {
    if (typeof body.cron_expression !== 'string') throw invalid('cron_expression must be a string')
    assertValidCron(body.cron_expression.trim())
    input.cronExpression = body.cron_expression.trim()
  }
  if (body.is_enabled !== undefined) {
    if (typeof body.is_enabled !== 'boolean') throw invalid(`is_enabled must be true or false, got ${JSON.stringify(body.is_enabled)}`)
    input.isEnabled = body.is_enabled
  }
  if (body.description !== undefined) {
    if (body.description !== null && typeof body.description !== 'string') throw invalid('description must be a string or null')
    if (typeof body.description === 'string' && body.description.length > MAX_DESCRIPTION) {
      throw invalid(`description must be at most ${MAX_DESCRIPTION} characters, got ${body.description.length}`)
    }
    input.description = body.description
  }
  if (Object.keys(input).length === 0) throw invalid('Nothing to change: give cron_expression, is_enabled, description, time_zone or misfire')
  return input
}
