import type { FastifyInstance, FastifyRequest } from 'fastify'
import { acceptHostKey } from '../../services/servers/accept-host-key.ts'
import { createServer } from '../../services/servers/create-server.ts'
import { deleteServer } from '../../services/servers/delete-server.ts'
import { findServer, listServers, serverNotFound } from '../../services/servers/find-server.ts'
import { assertServerAdmin } from '../../services/servers/server-access.ts'
import type { ServerFields } from '../../services/servers/server-input.ts'
import { testServer } from '../../services/servers/test-server.ts'
import type { HttpDeps } from '../app.ts'
import { actorOf, userOf } from '../auth-context.ts'
import { canonicalId } from '../canonical-id.ts'
import { presentServer } from '../present/server.ts'
import * as schemas from '../schemas/servers.ts'
import { updateServer } from '../../services/servers/update-server.ts'

interface ServerBody {
  name?: string
  host?: string
  port?: number
  username?: string
  password?: string
  private_key?: string
  passphrase?: string
  labels?: string[]
  description?: string
  operator_ids?: number[]
}

/** The API's snake_case fields as the services' ServerFields; absent stays absent. */
function fieldsOf(body: ServerBody): ServerFields {
  const fields: ServerFields = {
    name: body.name,
    host: body.host,
    port: body.port,
    username: body.username,
    password: body.password,
    privateKey: body.private_key,
    passphrase: body.passphrase,
    labels: body.labels,
    description: body.description,
    operatorIds: body.operator_ids,
  }
  for (const key of Object.keys(fields) as (keyof ServerFields)[]) if (fields[key] === undefined) delete fields[key]
  return fields
}

function idOf(request: FastifyRequest): number {
  const raw = (request.params as { id: string }).id
  const id = canonicalId(raw)
  if (id === null) throw serverNotFound(raw)
  return id
}

/** Registered servers (issue 12): every user reads them; admins manage them. Secrets go in, never out. */
export function serverRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const services = deps.services

  app.get('/api/servers', { schema: schemas.listServersSchema }, async () => ({
    success: true,
    servers: (await listServers(services)).map(presentServer),
  }))

  app.get('/api/servers/:id', { schema: schemas.getServerSchema }, async (request) => ({
    success: true,
    server: presentServer(await findServer(services, idOf(request))),
  }))

  app.post('/api/servers', { schema: schemas.createServerSchema }, async (request, reply) => {
    assertServerAdmin(userOf(request), 'register servers')
    const fields = fieldsOf(request.body as ServerBody) as Parameters<typeof createServer>[2]
    const server = await createServer(services, actorOf(request), fields)
    reply.status(201)
    return { success: true, message: 'Server created', server: presentServer(server) }
  })

  app.put('/api/servers/:id', { schema: schemas.updateServerSchema }, async (request) => {
    const id = idOf(request)
    await findServer(services, id) // 404 before 403
    assertServerAdmin(userOf(request), 'change servers')
    const server = await updateServer(services, actorOf(request), id, fieldsOf(request.body as ServerBody))
    return { success: true, message: 'Server updated', server: presentServer(server) }
  })

  app.delete('/api/servers/:id', { schema: schemas.deleteServerSchema }, async (request) => {
    const id = idOf(request)
    await findServer(services, id)
    assertServerAdmin(userOf(request), 'delete servers')
    await deleteServer(services, actorOf(request), id, (request.query as { force?: boolean }).force === true)
    return { success: true, message: 'Server deleted' }
  })

  app.post('/api/servers/:id/test', { schema: schemas.testServerSchema }, async (request) => {
    const id = idOf(request)
    await findServer(services, id)
    assertServerAdmin(userOf(request), 'test servers')
    const result = await testServer(services, id)
    return {
      success: true,
      latency_ms: result.latencyMs,
      host_key_fingerprint: result.hostKeyFingerprint,
      host_key_pinned: result.pinned,
      server: presentServer(result.server),
    }
  })

  app.post('/api/servers/:id/host-key', { schema: schemas.acceptHostKeySchema }, async (request) => {
    const id = idOf(request)
    await findServer(services, id)
    assertServerAdmin(userOf(request), 'accept host keys')
    const server = await acceptHostKey(services, actorOf(request), id, (request.body as { fingerprint: string }).fingerprint)
    return { success: true, message: 'Host key accepted', server: presentServer(server) }
  })
}
