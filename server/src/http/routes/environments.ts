import type { FastifyInstance, FastifyRequest } from 'fastify'
import { TaskyardError } from '../../domain/errors.ts'
import { findBuild, readBuildLog, streamBuildLog } from '../../services/environments/build-log.ts'
import { createEnvironment } from '../../services/environments/create-environment.ts'
import { deleteEnvironment } from '../../services/environments/delete-environment.ts'
import { assertEnvironmentPermission } from '../../services/environments/environment-access.ts'
import { exportEnvironment } from '../../services/environments/export-environment.ts'
import { environmentStats } from '../../services/environments/environment-stats.ts'
import { getEnvironment } from '../../services/environments/get-environment.ts'
import { installPackages } from '../../services/environments/install-packages.ts'
import { listEnvironments } from '../../services/environments/list-environments.ts'
import { removePackages } from '../../services/environments/remove-packages.ts'
import { renameEnvironment } from '../../services/environments/rename-environment.ts'
import { formatDateTime } from '../../lib/format-time.ts'
import type { HttpDeps } from '../app.ts'
import { actorOf, userOf } from '../auth-context.ts'
import { presentBuild, presentEnvironmentDetail, presentEnvironmentListItem, presentEnvironmentStats } from '../present/environment.ts'
import * as schemas from '../schemas/environments.ts'
import { sendSse } from '../sse.ts'
import { streamRevocation } from '../stream-revocation.ts'

const envNameOf = (request: FastifyRequest): string => (request.params as { env_name: string }).env_name

/** 000a: the original system's environment routes, to the letter, with Taskyard's optional additions. */
export function environmentRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { services } = deps

  app.get('/api/conda/environments', { schema: schemas.listEnvironments }, async (request) => {
    assertEnvironmentPermission(userOf(request), 'read')
    return (await listEnvironments(services)).map(presentEnvironmentListItem)
  })

  app.get('/api/conda/stats', { schema: schemas.environmentStats }, async (request) => {
    assertEnvironmentPermission(userOf(request), 'read')
    return presentEnvironmentStats(await environmentStats(services))
  })

  app.get('/api/conda/environment/:env_name', { schema: schemas.getEnvironment }, async (request) => {
    assertEnvironmentPermission(userOf(request), 'read')
    const { environment, usage } = await getEnvironment(services, envNameOf(request))
    return presentEnvironmentDetail(environment, usage)
  })

  app.get('/api/conda/environment/:env_name/export', { schema: schemas.exportEnvironment }, async (request, reply) => {
    assertEnvironmentPermission(userOf(request), 'read')
    const name = envNameOf(request)
    const text = await exportEnvironment(services, name)
    reply.header('content-type', 'text/plain; charset=utf-8').header('content-disposition', `attachment; filename="${name}-requirements.txt"`)
    return text
  })

  app.get('/api/conda/environment/:env_name/build-log', { schema: schemas.buildLog }, async (request, reply) => {
    assertEnvironmentPermission(userOf(request), 'read')
    const name = envNameOf(request)
    const query = request.query as { build_id?: string; stream?: string; offset?: string }
    const buildId = query.build_id === undefined ? null : Number(query.build_id)
    if (query.stream === 'true' || query.stream === '1') {
      if (query.offset !== undefined)
        throw new TaskyardError('invalid_input', 'Invalid log query', { error: 'stream=true resumes with the Last-Event-ID header; it takes no offset' })
      const build = await findBuild(services, name, buildId)
      const lastEventId = request.headers['last-event-id']
      const from = typeof lastEventId === 'string' && /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : 0
      // Ends when its login does, as a run log's stream does.
      const revoked = await streamRevocation(services, request)
      try {
        return await sendSse(
          request,
          reply,
          (signal) => streamBuildLog(services, build, from, signal),
          (chunk) => ({ id: String(chunk.offset), data: JSON.stringify({ logs: chunk.text, is_complete: chunk.complete }) }),
          revoked.signal,
        )
      } finally {
        revoked.off()
      }
    }
    const log = await readBuildLog(services, name, buildId, query.offset === undefined ? undefined : Number(query.offset))
    return {
      success: true,
      environment: name,
      build: presentBuild(log.build),
      logs: log.text,
      is_complete: log.build.endedAt !== null,
      offset: log.offset,
      next_offset: log.nextOffset,
      size: log.size,
    }
  })

  app.post('/api/conda/environment', { schema: schemas.createEnvironment }, async (request, reply) => {
    const body = request.body as { name: string; requirements?: string; python_version?: string }
    const input = { name: body.name, requirements: body.requirements ?? null, pythonVersion: body.python_version ?? null }
    const created = await createEnvironment(services, actorOf(request), input)
    reply.status(201)
    return { success: true, message: 'Environment created successfully', environment: { name: created.name, created_at: formatDateTime(created.createdAt) } }
  })

  app.put('/api/conda/environment/:env_name', { schema: schemas.renameEnvironment }, async (request) => {
    const oldName = envNameOf(request)
    const newName = (request.body as { new_name: string }).new_name
    const { updatedTasks } = await renameEnvironment(services, actorOf(request), oldName, newName)
    return { success: true, message: 'Environment renamed successfully', old_name: oldName, new_name: newName, updated_tasks_count: updatedTasks }
  })

  app.post('/api/conda/environment/:env_name/packages', { schema: schemas.installPackages }, async (request) => {
    const name = envNameOf(request)
    const { installed } = await installPackages(services, actorOf(request), name, (request.body as { packages: string[] }).packages)
    return { success: true, message: 'Packages installed successfully', environment: name, installed_packages: installed }
  })

  app.delete('/api/conda/environment/:env_name/packages', { schema: schemas.removePackages }, async (request) => {
    const name = envNameOf(request)
    const { removed } = await removePackages(services, actorOf(request), name, (request.body as { packages: string[] }).packages)
    return { success: true, message: 'Packages removed successfully', environment: name, removed_packages: removed }
  })

  app.delete('/api/conda/environment/:env_name', { schema: schemas.deleteEnvironment }, async (request, reply) => {
    const force = ['true', '1'].includes((request.query as { force?: string }).force ?? '')
    await deleteEnvironment(services, actorOf(request), envNameOf(request), force)
    reply.status(204).send()
  })
}
