import type { FastifyInstance } from 'fastify'
import { changeOwnPassword } from '../../services/auth/change-password.ts'
import type { HttpDeps } from '../app.ts'
import { actorOf, setSessionCookie } from '../auth-context.ts'
import { presentUser } from '../present/user.ts'
import * as schemas from '../schemas/auth.ts'

/** The signed-in user's own account: changing the password (issue 11's user menu). */
export function accountRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post('/api/auth/password', { schema: schemas.changePassword }, async (request, reply) => {
    const body = request.body as { current_password: string; new_password: string }
    const result = await changeOwnPassword(deps.services, actorOf(request), { currentPassword: body.current_password, newPassword: body.new_password })
    setSessionCookie(request, reply, result)
    return { success: true, message: 'Password changed', user: presentUser(result.user), token: result.token }
  })
}
