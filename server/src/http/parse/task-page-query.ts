/** spec 001's GET /api/tasks paging and filters, each checked by name; the route's schema has typed them already. */
import { TaskyardError } from '../../domain/errors.ts'
import type { TaskPageQuery } from '../../services/servers/list-task-page.ts'

export interface RawTaskPageQuery {
  page?: number
  page_size?: number
  server_id?: number
  status?: number
  start_time?: string
  end_time?: string
  name?: string
  created_by?: number
}

/** spec 001: "page_size: 每页数量（默认10，最大100）". */
export const DEFAULT_PAGE_SIZE = 10
export const MAX_PAGE_SIZE = 100

const invalid = (error: string): TaskyardError => new TaskyardError('invalid_input', 'Invalid query', { error })

/** Whether the request asks for spec 001's page rather than spec 000's array. */
export const wantsTaskPage = (q: RawTaskPageQuery): boolean => q.page !== undefined || q.page_size !== undefined

/** An instant written as ISO 8601 with its zone (`2023-08-01T10:00:00Z`, `…+08:00`), as spec 001 writes them. */
function instant(field: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(raw) ? Date.parse(raw) : NaN
  if (Number.isNaN(at)) throw invalid(`${field} must be an ISO 8601 date-time with its zone, e.g. 2023-08-01T10:00:00Z; got '${raw}'`)
  return at
}

export function parseTaskPageQuery(q: RawTaskPageQuery): TaskPageQuery {
  const page = q.page ?? 1
  const pageSize = q.page_size ?? DEFAULT_PAGE_SIZE
  if (pageSize > MAX_PAGE_SIZE) throw invalid(`page_size must be at most ${MAX_PAGE_SIZE}, got ${pageSize}`)
  const lastRunFrom = instant('start_time', q.start_time)
  const lastRunTo = instant('end_time', q.end_time)
  if (lastRunFrom !== undefined && lastRunTo !== undefined && lastRunFrom > lastRunTo) throw invalid('start_time must not be after end_time')
  const name = q.name?.trim()
  return {
    page,
    pageSize,
    filter: {
      ...(q.server_id !== undefined ? { serverId: q.server_id } : {}),
      ...(q.status !== undefined ? { enabled: q.status === 1 } : {}),
      ...(lastRunFrom !== undefined ? { lastRunFrom } : {}),
      ...(lastRunTo !== undefined ? { lastRunTo } : {}),
      ...(name ? { nameContains: name } : {}),
      ...(q.created_by !== undefined ? { ownerId: q.created_by } : {}),
    },
  }
}
