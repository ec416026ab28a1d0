import type { FastifyInstance, FastifyRequest } from 'fastify'
import { taskNotFound } from '../../domain/errors.ts'
import { listTaskFiles, readTaskFile } from '../../services/read-task-files.ts'
import type { HttpDeps } from '../app.ts'
import { actorOf } from '../auth-context.ts'
import { canonicalId } from '../canonical-id.ts'
import * as schemas from '../schemas/task-files.ts'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Text the editor can show as it is: valid UTF-8 with no NUL byte. */
function asText(bytes: Buffer): string | null {
  if (bytes.includes(0)) return null
  try {
    return utf8.decode(bytes)
  } catch {
    return null
  }
}

/** The script editor's reads (issue 11); saving goes through spec 000's update-script. */
export function taskFileRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { services } = deps
  function taskIdOf(request: FastifyRequest): number {
    const raw = (request.params as { task_id: string }).task_id
    const taskId = canonicalId(raw)
    if (taskId === null) throw taskNotFound(raw)
    return taskId
  }

  app.get('/api/tasks/:task_id/files', { schema: schemas.listTaskFiles }, async (request) => {
    const taskId = taskIdOf(request)
    const listing = await listTaskFiles(services, actorOf(request), taskId)
    return {
      success: true,
      task_id: taskId,
      files: listing.entries.map((e) => ({ path: e.path, type: e.type, size: e.sizeBytes, executable: e.executable })),
      truncated: listing.truncated,
    }
  })

  app.get('/api/tasks/:task_id/files/content', { schema: schemas.readTaskFile }, async (request) => {
    const taskId = taskIdOf(request)
    const file = await readTaskFile(services, actorOf(request), taskId, (request.query as { path: string }).path)
    const text = asText(file.bytes)
    return {
      success: true,
      task_id: taskId,
      path: file.path,
      size: file.sizeBytes,
      encoding: text === null ? 'base64' : 'utf-8',
      content: text ?? file.bytes.toString('base64'),
    }
  })
}
