import type { FastifyInstance, FastifyReply } from 'fastify'
import { TaskyardError } from '../../domain/errors.ts'
import type { User } from '../../domain/user.ts'
import { login, logout } from '../../services/auth/login.ts'
import { createUser } from '../../services/auth/manage-users.ts'
import type { HttpDeps } from '../app.ts'
import * as schemas from '../schemas/auth.ts'
import { actorOf, SESSION_COOKIE, setSessionCookie, sessionCookieOf, sessionIdOf } from '../auth-context.ts'

/** 000a's account routes (no /api prefix): thin aliases of /api/auth and /api/users, same services, same throttle and audit. */

const legacyUser = (user: User) => ({ username: user.username, is_admin: user.role === 'admin' })

/** 000a's bodies are `{message}` alone; other refusals (throttle, bad input) keep spec 000's shape. */
async function withLegacyErrors<T>(
  reply: FastifyReply,
  words: Partial<Record<string, readonly [number, string]>>,
  fn: () => Promise<T>,
): Promise<T | { message: string }> {
  try {
    return await fn()
  } catch (error) {
    const mapped = error instanceof TaskyardError ? words[error.code] : undefined
    if (!mapped) throw error
    reply.status(mapped[0])
    return { message: mapped[1] }
  }
}

export function legacyAccountRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { services } = deps

  app.post(
    '/login',
    {
      config: { public: true },
      schema: schemas.legacyLogin,
    },
    async (request, reply) => {
      const body = request.body as { username: string; password: string }
      return withLegacyErrors(reply, { invalid_credentials: [401, 'Invalid username or password'] }, async () => {
        const result = await login(services, { ...body, ip: request.ip, previousSessionId: sessionCookieOf(request) })
        setSessionCookie(request, reply, result)
        return { message: 'Login successful', user: legacyUser(result.user) }
      })
    },
  )

  app.post(
    '/logout',
    {
      schema: schemas.legacyLogout,
    },
    async (request, reply) => {
      await logout(services, actorOf(request), sessionIdOf(request))
      reply.clearCookie(SESSION_COOKIE, { path: '/' })
      return { message: 'Logout successful' }
    },
  )

  app.post(
    '/create_user',
    {
      schema: schemas.legacyCreateUser,
    },
    async (request, reply) => {
      const body = request.body as { username: string; password: string; is_admin?: boolean }
      const words = { forbidden: [403, 'Unauthorized - Admin privileges required'], name_taken: [400, 'User already exists'] } as const
      return withLegacyErrors(reply, words, async () => {
        const user = await createUser(services, actorOf(request), {
          username: body.username,
          password: body.password,
          role: body.is_admin ? 'admin' : 'operator',
        })
        reply.status(201)
        return { message: 'User created successfully', user: legacyUser(user) }
      })
    },
  )
}
