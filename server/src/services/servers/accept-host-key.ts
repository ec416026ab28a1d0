import { TaskyardError } from '../../domain/errors.ts'
import type { Server } from '../../domain/server.ts'
import { recordAudit, type Actor } from '../auth/record-audit.ts'
import type { ServiceDeps } from '../deps.ts'
import { findServer } from './find-server.ts'

/**
 * Admins only (checked by the caller). The admin names the fingerprint they accept, which must be
 * the one the host last offered: a key that changed again in between is not accepted unseen.
 */
export async function acceptHostKey(deps: ServiceDeps, actor: Actor, id: number, fingerprint: string): Promise<Server> {
  const server = await findServer(deps, id)
  if (server.offeredHostKeyFingerprint === null || server.offeredHostKeyFingerprint !== fingerprint) {
    throw new TaskyardError('host_key_mismatch', 'Fingerprint does not match the offered host key', {
      error:
        server.offeredHostKeyFingerprint === null
          ? `Server '${server.name}' has offered no new host key; test the connection first`
          : `The host last offered ${server.offeredHostKeyFingerprint}`,
      offered_fingerprint: server.offeredHostKeyFingerprint,
    })
  }
  const updated = await deps.store.transaction(async (tx) => {
    const written = await tx.servers.update(id, { hostKeyFingerprint: fingerprint, offeredHostKeyFingerprint: null, updatedAt: deps.clock.now() })
    if (written)
      await recordAudit(tx, deps.clock, actor, 'server.accept_host_key', { type: 'server', id }, { previous: server.hostKeyFingerprint, accepted: fingerprint })
    return written
  })
  return updated ?? findServer(deps, id)
}
