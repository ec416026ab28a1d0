import type { Server, ServerPatch } from '../../domain/server.ts'
import { recordAudit, type Actor } from '../auth/record-audit.ts'
import type { ServiceDeps } from '../deps.ts'
import { findServer, sealCredentials } from './find-server.ts'
import { checkOperatorIds, checkServerFields, credentialsFrom, uniqueLabels, type ServerFields } from './server-input.ts'

/**
 * Admins only (checked by the caller). A new host or port is another machine: its pinned key is
 * dropped, and the next connection pins whatever that machine offers.
 */
export async function updateServer(deps: ServiceDeps, actor: Actor, id: number, fields: ServerFields): Promise<Server> {
  const current = await findServer(deps, id)
  checkServerFields(fields)
  const credentials = credentialsFrom(deps, fields)
  const operatorIds = await checkOperatorIds(deps, fields.operatorIds)
  const moved = (fields.host !== undefined && fields.host !== current.host) || (fields.port !== undefined && fields.port !== current.port)
  const patch: ServerPatch = {
    name: fields.name,
    host: fields.host,
    port: fields.port,
    username: fields.username,
    authMethod: credentials?.kind,
    labels: uniqueLabels(fields.labels),
    description: fields.description,
    operatorIds,
    ...(moved ? { hostKeyFingerprint: null, offeredHostKeyFingerprint: null } : {}),
    updatedAt: deps.clock.now(),
  }
  const sealed = credentials === null ? undefined : sealCredentials(deps, credentials)
  const updated = await deps.store.transaction(async (tx) => {
    const written = await tx.servers.update(id, patch, sealed)
    if (!written) return undefined
    const changed = Object.keys(fields).map((key) => (key === 'password' || key === 'privateKey' || key === 'passphrase' ? 'credentials' : key))
    await recordAudit(tx, deps.clock, actor, 'server.update', { type: 'server', id }, { fields: [...new Set(changed)].sort() })
    return written
  })
  return updated ?? findServer(deps, id)
}
