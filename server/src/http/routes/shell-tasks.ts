/**
 * spec 001's side of /api/tasks (issue 12): a JSON POST creates a shell task on a registered
 * server, and GET with page/page_size answers the paged list (routes/tasks.ts hands both here and
 * keeps spec 000's multipart create and array for itself); GET /api/task/:id/log is its own route.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { TaskyardError } from '../../domain/errors.ts'
import { isActive, type RunStatus } from '../../domain/run.ts'
import { createShellTask } from '../../services/servers/create-shell-task.ts'
import { executionRecord } from '../../services/servers/execution-record.ts'
import { listTaskPage } from '../../services/servers/list-task-page.ts'
import type { ServiceDeps } from '../../services/deps.ts'
import { actorOf } from '../auth-context.ts'
import { parseCreateShellTaskBody } from '../parse/create-shell-task-body.ts'
import { canonicalId } from '../canonical-id.ts'
import { parseTaskPageQuery, type RawTaskPageQuery } from '../parse/task-page-query.ts'
import { isoInstant, presentShellTask } from '../present/shell-task.ts'
import { executionLog } from '../schemas/shell-tasks.ts'

/** True when the request is spec 001's JSON create rather than spec 000's multipart form. */
export const isJsonBody = (request: FastifyRequest): boolean => /^application\/json\b/i.test(request.headers['content-type'] ?? '')

/** spec 001: "成功：200 OK，返回任务创建成功信息". */
export async function createShellTaskRoute(services: ServiceDeps, request: FastifyRequest, reply: FastifyReply): Promise<Record<string, unknown>> {
  const { task, serverId } = await createShellTask(services, actorOf(request), () => parseCreateShellTaskBody(request.body))
  reply.status(200)
  return { success: true, message: 'Task created successfully', task: presentShellTask(task, serverId) }
}

/** spec 001's `{list, total, page, page_size}`. */
export async function listTaskPageRoute(services: ServiceDeps, request: FastifyRequest): Promise<Record<string, unknown>> {
  const query = parseTaskPageQuery(request.query as RawTaskPageQuery)
  const page = await listTaskPage(services, actorOf(request), query)
  return { list: page.items.map((item) => presentShellTask(item.task, item.serverId)), total: page.total, page: query.page, page_size: query.pageSize }
}

/** spec 001 execution status: 0 running (or waiting), 1 success, 2 failed — a timeout, a stop, a lost run are failures. */
const executionStatus = (status: RunStatus): 0 | 1 | 2 => (isActive(status) ? 0 : status === 'completed' ? 1 : 2)

/** spec 001: GET /api/task/:id/log, the execution record of run `id`. */
export function shellTaskRoutes(app: FastifyInstance, services: ServiceDeps): void {
  app.get('/api/task/:id/log', { schema: executionLog }, async (request) => {
    const raw = (request.params as { id: string }).id
    const id = canonicalId(raw)
    if (id === null) throw new TaskyardError('execution_not_found', 'Task execution with ID not found', { error: `No execution record with ID ${raw}` })
    const record = await executionRecord(services, actorOf(request), id)
    const { run } = record
    const omitted = (bytes: number): string => (bytes > 0 ? `[${bytes} earlier bytes omitted]\n` : '')
    return {
      output: omitted(record.omittedBytes.output) + record.output,
      error: omitted(record.omittedBytes.error) + record.error,
      status: executionStatus(run.status),
      start_time: isoInstant(run.startedAt),
      end_time: isoInstant(run.endedAt),
      duration: run.startedAt != null && run.endedAt != null ? Math.round((run.endedAt - run.startedAt) / 1000) : null,
    }
  })
}
