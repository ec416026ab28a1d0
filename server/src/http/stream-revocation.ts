import type { FastifyRequest } from 'fastify'
import type { ServiceDeps } from '../services/deps.ts'
import { actorOf, sessionIdOf, stillAuthenticated } from './auth-context.ts'

/**
 * What ends a log stream from outside (issue 3): disabling the reader or changing their
 * password, and logging out of the login (cookie or JWT) that opened it. Subscribed first, then
 * checked: a logout or disable since this request was authenticated is not missed. Call `off`
 * when the stream is over.
 */
export async function streamRevocation(services: ServiceDeps, request: FastifyRequest): Promise<{ signal: AbortSignal; off(): void }> {
  const revoked = new AbortController()
  const userId = actorOf(request).user.id
  const sessionId = sessionIdOf(request)
  const offUser = services.bus.on('user:revoked', (e) => {
    if (e.userId === userId) revoked.abort()
  })
  const offSession = services.bus.on('session:revoked', (e) => {
    if (sessionId !== null && e.sessionId === sessionId) revoked.abort()
  })
  const off = (): void => {
    offUser()
    offSession()
  }
  if (!(await stillAuthenticated(services, request))) revoked.abort()
  return { signal: revoked.signal, off }
}
