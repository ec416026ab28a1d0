import fastifyMultipart from '@fastify/multipart'
import fastifySwagger from '@fastify/swagger'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import type { DataPaths } from '../lib/paths.ts'
import type { ServiceDeps } from '../services/deps.ts'
import { handleError } from './error-handler.ts'
import { taskRoutes } from './routes/tasks.ts'

export interface HttpDeps {
  services: ServiceDeps
  paths: DataPaths
  maxUploadBytes: number
  saveUpload(stream: NodeJS.ReadableStream, destPath: string, maxBytes: number): Promise<number>
  /**
   * The one seam for authentication and permissions (the auth issue fills it): runs before every
   * /api route and throws TaskyardError('unauthenticated' | 'forbidden') to refuse.
   */
  authorize(request: FastifyRequest): Promise<void>
  logger: boolean | { level: string }
}

/** Builds the HTTP app; nothing listens until the caller says so. */
export async function buildApp(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger,
    // Large enough for the JSON bodies of the API; uploads go through multipart, with their own cap.
    bodyLimit: 2 * 1024 * 1024,
    // Live log streams would otherwise hold close() open until their runs end.
    forceCloseConnections: true,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allowUnionTypes: true } },
  })
  app.setErrorHandler(handleError)
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ success: false, message: 'Not found', error: `No route ${request.method} ${request.url.split('?')[0]}` })
  })
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Taskyard API', version: '0.1.0', description: 'Runs scripts and commands as managed tasks. The /api/tasks surface follows spec 000.' },
    },
  })
  await app.register(fastifyMultipart, {
    limits: {
      // One byte over our own cap, so saveUpload reports the limit in our words.
      fileSize: deps.maxUploadBytes + 1,
      files: 3,
      fields: 32,
      fieldSize: 1024 * 1024,
      parts: 40,
    },
  })
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }))
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  await app.register(async (api) => {
    api.addHook('preHandler', async (request) => deps.authorize(request))
    taskRoutes(api, deps)
  })
  return app
}
