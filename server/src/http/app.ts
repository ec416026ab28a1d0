import fastifyCookie from '@fastify/cookie'
import fastifyMultipart from '@fastify/multipart'
import fastifySwagger from '@fastify/swagger'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { DataPaths } from '../lib/paths.ts'
import type { ServiceDeps } from '../services/deps.ts'
import { registerAccessLog } from './access-log.ts'
import { handleError } from './error-handler.ts'
import { authenticateRequest } from './auth-context.ts'
import { accountRoutes } from './routes/account.ts'
import { assertKnownFields } from './known-fields.ts'
import { authRoutes } from './routes/auth.ts'
import { executionRoutes } from './routes/executions.ts'
import { systemRoutes } from './routes/system.ts'
import { environmentRoutes } from './routes/environments.ts'
import { legacyAccountRoutes } from './routes/legacy-accounts.ts'
import { scheduleRoutes } from './routes/schedules.ts'
import { serverRoutes } from './routes/servers.ts'
import { queueRoutes } from './routes/queue.ts'
import { shellTaskRoutes } from './routes/shell-tasks.ts'
import { taskRoutes } from './routes/tasks.ts'
import { taskFileRoutes } from './routes/task-files.ts'
import { staticUiRoutes } from './static-ui.ts'
import { SHARED_SCHEMAS } from './schemas/components.ts'

export interface HttpDeps {
  services: ServiceDeps
  paths: DataPaths
  maxUploadBytes: number
  saveUpload(stream: NodeJS.ReadableStream, destPath: string, maxBytes: number): Promise<number>
  /** false: no logging (tests); else pino at that level, to stdout or `stream`. */
  logger: boolean | { level: string; stream?: NodeJS.WritableStream }
  /** How often the access log's summary line is written at info (access-log.ts); default a minute. */
  accessLogSummaryMs?: number
  /** The built web UI (web/dist); defaults to the one beside the server's source. */
  webDir?: string
  /**
   * An HTTP server that already listens (main.ts binds the port before anything writes): the app
   * takes over its requests, and the caller, not app.close(), closes it. Without it the caller
   * uses app.listen().
   */
  server?: Server
  /**
   * Called with the app before any route is registered: tests add hooks here (e.g. to see each
   * answer before serialization, server/test/helpers/response-checker.ts). Production passes none.
   */
  instrument?: (app: FastifyInstance) => void
}

/** Builds the HTTP app; nothing listens until the caller says so. */
export async function buildApp(deps: HttpDeps): Promise<FastifyInstance> {
  let adoptedHandler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined
  const app = Fastify({
    logger: deps.logger,
    // Issue 10: access-log.ts logs requests instead, summarised at info, in full at debug.
    logController: new LogController({ disableRequestLogging: true }),
    // Large enough for the JSON bodies of the API; uploads go through multipart, with their own cap.
    bodyLimit: 2 * 1024 * 1024,
    // Live log streams would otherwise hold close() open until their runs end.
    forceCloseConnections: true,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allowUnionTypes: true } },
    ...(deps.server ? { serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => ((adoptedHandler = handler), deps.server!) } : {}),
  })
  if (deps.server) {
    const server = deps.server
    // The placeholder that answers while the server starts gives way once every route is in.
    app.addHook('onReady', async () => {
      server.removeAllListeners('request')
      server.on('request', adoptedHandler!)
    })
  }
  if (deps.logger !== false) registerAccessLog(app, deps.accessLogSummaryMs)
  deps.instrument?.(app)
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema)
  app.setErrorHandler(handleError)
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ success: false, message: 'Not found', error: `No route ${request.method} ${request.url.split('?')[0]}` })
  })
  await app.register(fastifySwagger, {
    // Shared schemas keep their $id as their name under components.schemas.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      info: { title: 'Taskyard API', version: '0.1.0', description: 'Runs scripts and commands as managed tasks. The /api/tasks surface follows spec 000.' },
    },
  })
  // spec 002's control routes take form fields (`curl -d priority=1`), JSON too: a form body is
  // an object of strings (a repeated field: its last value), validated by the same schema.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
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
  await app.register(fastifyCookie)
  app.get(
    '/healthz',
    {
      schema: {
        hide: true,
        response: { 200: { type: 'object', additionalProperties: false, required: ['status'], properties: { status: { type: 'string' } } } },
      },
      config: { public: true },
    },
    async () => ({ status: 'ok' }),
  )
  // The one seam for authentication (issue 3): every route but /healthz and login needs
  // credentials. onRequest, before any body is read: an anonymous upload is never stored.
  app.addHook('onRequest', async (request) => {
    if ((request.routeOptions.config as { public?: boolean } | undefined)?.public) return
    await authenticateRequest(deps.services, request)
  })
  // Every JSON body is held to its schema's fields: unknown ones are refused by name, on every
  // route (a route without a body schema accepts none). Multipart routes list theirs in
  // schemas/tasks.ts and are checked by parseMultipart. OpenAPI shows additionalProperties: false.
  app.addHook('onRoute', (route) => {
    const body = route.schema?.body as { type?: string; properties?: object; additionalProperties?: unknown } | undefined
    if (body?.type === 'object' && body.properties && body.additionalProperties === undefined) {
      route.schema = { ...route.schema, body: { ...body, additionalProperties: false } }
    }
  })
  app.addHook('preValidation', async (request) => {
    const body = request.body
    if (request.isMultipart() || body === null || typeof body !== 'object' || Array.isArray(body)) return
    const declared = request.routeOptions.schema?.body as { properties?: object; content?: Record<string, { schema?: { properties?: object } }> } | undefined
    // A body schema by content type (POST /api/tasks: spec 001's JSON beside spec 000's form) names the JSON one's fields.
    const schema = declared?.content ? declared.content['application/json']?.schema : declared
    assertKnownFields(Object.keys(body), schema?.properties ? Object.keys(schema.properties) : [])
  })
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  authRoutes(app, deps)
  taskRoutes(app, deps)
  executionRoutes(app, deps)
  shellTaskRoutes(app, deps.services)
  taskFileRoutes(app, deps)
  accountRoutes(app, deps)
  systemRoutes(app, deps)
  staticUiRoutes(app, deps.services, deps.webDir)
  environmentRoutes(app, deps)
  legacyAccountRoutes(app, deps)
  serverRoutes(app, deps)
  queueRoutes(app, deps)
  scheduleRoutes(app, deps)
  return app
}
