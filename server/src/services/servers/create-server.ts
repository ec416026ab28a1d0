import type { Server } from '../../domain/server.ts'
import { recordAudit, type Actor } from '../auth/record-audit.ts'
import type { ServiceDeps } from '../deps.ts'
import { sealCredentials } from './find-server.ts'
import { checkOperatorIds, checkServerFields, credentialsFrom, invalidServer, uniqueLabels, type ServerFields } from './server-input.ts'

/** Admins only (checked by the caller). The secret is sealed before it reaches the store. */
export async function createServer(
  deps: ServiceDeps,
  actor: Actor,
  fields: ServerFields & Required<Pick<ServerFields, 'name' | 'host' | 'username'>>,
): Promise<Server> {
  checkServerFields(fields)
  const credentials = credentialsFrom(deps, fields)
  if (credentials === null) throw invalidServer('password or private_key is required')
  const operatorIds = (await checkOperatorIds(deps, fields.operatorIds)) ?? []
  const now = deps.clock.now()
  return deps.store.transaction(async (tx) => {
    const server = await tx.servers.insert(
      {
        name: fields.name,
        host: fields.host,
        port: fields.port ?? 22,
        username: fields.username,
        authMethod: credentials.kind,
        labels: uniqueLabels(fields.labels) ?? [],
        description: fields.description ?? '',
        hostKeyFingerprint: null,
        offeredHostKeyFingerprint: null,
        operatorIds,
        createdBy: actor.user?.id ?? null,
        createdAt: now,
        updatedAt: now,
      },
      sealCredentials(deps, credentials),
    )
    // The audit names what changed, never the secret.
    await recordAudit(
      tx,
      deps.clock,
      actor,
      'server.create',
      { type: 'server', id: server.id },
      { name: server.name, host: server.host, auth_method: server.authMethod },
    )
    return server
  })
}
