import type { FastifyInstance } from 'fastify'
import { changeOwnPassword } from '../../services/auth/change-password.ts'
import type { HttpDeps } from '../app.ts'
import { actorOf, setSessionCookie } from '../auth-context.ts'
import { presentUser } from '../present/user.ts'

const userSchema = {
  type: 'object',
  required: ['user_id', 'username', 'role', 'disabled', 'created_at', 'updated_at'],
  properties: {
    user_id: { type: 'integer' },
    username: { type: 'string' },
    role: { type: 'string', enum: ['admin', 'operator', 'viewer'] },
    disabled: { type: 'boolean' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
} as const

const errorBody = {
  type: 'object',
  required: ['success', 'message'],
  properties: { success: { type: 'boolean' }, message: { type: 'string' }, error: { type: 'string' }, retry_after: { type: 'integer' } },
} as const

/** The signed-in user's own account: changing the password (issue 11's user menu). */
export function accountRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post(
    '/api/auth/password',
    {
      schema: {
        tags: ['auth'],
        summary: 'Change your own password; ends your other sessions and tokens, and renews this session',
        body: {
          type: 'object',
          properties: { current_password: { type: 'string' }, new_password: { type: 'string' } },
          required: ['current_password', 'new_password'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['success', 'message', 'user', 'token'],
            properties: { success: { type: 'boolean' }, message: { type: 'string' }, user: userSchema, token: { type: 'string' } },
          },
          400: errorBody,
          429: errorBody,
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { current_password: string; new_password: string }
      const result = await changeOwnPassword(deps.services, actorOf(request), { currentPassword: body.current_password, newPassword: body.new_password })
      setSessionCookie(request, reply, result)
      return { success: true, message: 'Password changed', user: presentUser(result.user), token: result.token }
    },
  )
}
