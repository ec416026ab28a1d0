import type { FastifyInstance } from 'fastify'
import type { Role } from '../../domain/user.ts'
import { createApiToken, listApiTokens, revokeApiToken } from '../../services/auth/api-tokens.ts'
import { listAudit } from '../../services/auth/list-audit.ts'
import { login, logout } from '../../services/auth/login.ts'
import { createUser, listUsers, updateUser } from '../../services/auth/manage-users.ts'
import { actorOf, SESSION_COOKIE, setSessionCookie, sessionCookieOf, sessionIdOf, userOf } from '../auth-context.ts'
import type { HttpDeps } from '../app.ts'
import { presentAuditEntry, presentToken, presentUser } from '../present/user.ts'
import * as schemas from '../schemas/auth.ts'

/** Issue 3: login and sessions, personal API tokens, user management and the audit log. */
export function authRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { services } = deps

  app.post(
    '/api/auth/login',
    {
      config: { public: true },
      schema: schemas.login,
    },
    async (request, reply) => {
      const body = request.body as { username: string; password: string }
      const result = await login(services, { ...body, ip: request.ip, previousSessionId: sessionCookieOf(request) })
      setSessionCookie(request, reply, result)
      return { success: true, user: presentUser(result.user), token: result.token }
    },
  )

  app.post('/api/auth/logout', { schema: schemas.logout }, async (request, reply) => {
    await logout(services, actorOf(request), sessionIdOf(request))
    reply.clearCookie(SESSION_COOKIE, { path: '/' })
    return { success: true, message: 'Logged out' }
  })

  app.get('/api/auth/me', { schema: schemas.me }, async (request) => ({
    success: true,
    user: presentUser(userOf(request)),
  }))

  app.get('/api/auth/tokens', { schema: schemas.listTokens }, async (request) => ({
    success: true,
    tokens: (await listApiTokens(services, userOf(request))).map(presentToken),
  }))

  app.post('/api/auth/tokens', { schema: schemas.createToken }, async (request, reply) => {
    const body = request.body as { name: string; expires_in_days?: number }
    const { token, secret } = await createApiToken(services, actorOf(request), { name: body.name, expiresInDays: body.expires_in_days })
    reply.status(201)
    return { success: true, token: { ...presentToken(token), token: secret } }
  })

  app.delete('/api/auth/tokens/:token_id', { schema: schemas.revokeToken }, async (request) => {
    const id = Number((request.params as { token_id: string }).token_id)
    await revokeApiToken(services, actorOf(request), id)
    return { success: true, message: 'Token revoked', token_id: id }
  })

  app.get('/api/users', { schema: schemas.listUsers }, async (request) => {
    return { success: true, users: (await listUsers(services, actorOf(request))).map(presentUser) }
  })

  app.post('/api/users', { schema: schemas.createUser }, async (request, reply) => {
    const user = await createUser(services, actorOf(request), request.body as { username: string; password: string; role: Role })
    reply.status(201)
    return { success: true, user: presentUser(user) }
  })

  app.patch('/api/users/:user_id', { schema: schemas.updateUser }, async (request) => {
    const id = Number((request.params as { user_id: string }).user_id)
    const body = (request.body ?? {}) as { role?: Role; disabled?: boolean; password?: string }
    return { success: true, user: presentUser(await updateUser(services, actorOf(request), id, body)) }
  })

  app.get('/api/audit', { schema: schemas.listAudit }, async (request) => {
    const { limit = 100, before } = request.query as { limit?: number; before?: number }
    const entries = await listAudit(services, actorOf(request), { limit, ...(before ? { before } : {}) })
    return { success: true, entries: entries.map(presentAuditEntry) }
  })
}
