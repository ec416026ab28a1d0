/**
 * spec 001's side of /api/tasks (issue 12): a JSON POST creates a shell task on a registered
 * server. Mounted from routes/tasks.ts, which hands JSON bodies here and keeps spec 000's
 * multipart create for itself.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { createShellTask } from '../../services/servers/create-shell-task.ts'
import type { ServiceDeps } from '../../services/deps.ts'
import { actorOf } from '../auth-context.ts'
import { parseCreateShellTaskBody } from '../parse/create-shell-task-body.ts'
import { presentShellTask } from '../present/shell-task.ts'

/** True when the request is spec 001's JSON create rather than spec 000's multipart form. */
export const isJsonBody = (request: FastifyRequest): boolean => /^application\/json\b/i.test(request.headers['content-type'] ?? '')

/** spec 001: "成功：200 OK，返回任务创建成功信息". */
export async function createShellTaskRoute(services: ServiceDeps, request: FastifyRequest, reply: FastifyReply): Promise<Record<string, unknown>> {
  const { task, serverId } = await createShellTask(services, actorOf(request), () => parseCreateShellTaskBody(request.body))
  reply.status(200)
  return { success: true, message: 'Task created successfully', task: presentShellTask(task, serverId) }
}
