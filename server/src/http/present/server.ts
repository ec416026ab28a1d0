import type { Server } from '../../domain/server.ts'
import { formatDateTime } from '../../lib/format-time.ts'

/** A registered server as the API shows it: never its password, key or passphrase. */
export function presentServer(server: Server): Record<string, unknown> {
  return {
    id: server.id,
    name: server.name,
    host: server.host,
    port: server.port,
    username: server.username,
    auth_method: server.authMethod,
    labels: server.labels,
    description: server.description,
    host_key_fingerprint: server.hostKeyFingerprint,
    offered_host_key_fingerprint: server.offeredHostKeyFingerprint,
    operator_ids: server.operatorIds,
    created_at: formatDateTime(server.createdAt),
    updated_at: formatDateTime(server.updatedAt),
  }
}
