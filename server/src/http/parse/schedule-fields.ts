/** time_zone and misfire of create and PUT (issue 8), as typed values. */
import { parseMisfire, parseTimeZone } from '../../domain/schedule.ts'
import type { TaskSchedulePolicy } from '../../domain/task.ts'

export interface ScheduleFields {
  time_zone?: unknown
  misfire?: unknown
}

/** Absent (undefined) leaves a field as it is; time_zone null or '' is the server's zone. */
export function parseScheduleFields(input: ScheduleFields): TaskSchedulePolicy {
  const out: TaskSchedulePolicy = {}
  if (input.time_zone !== undefined) out.timeZone = parseTimeZone(input.time_zone)
  if (input.misfire !== undefined) out.misfire = parseMisfire(input.misfire)
  return out
}
