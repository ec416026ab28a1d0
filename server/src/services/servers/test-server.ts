import { TaskyardError } from '../../domain/errors.ts'
import { judgeHostKey, type Server } from '../../domain/server.ts'
import type { ServiceDeps } from '../deps.ts'
import { findServer, sshTargetOf } from './find-server.ts'

export interface ServerTestResult {
  latencyMs: number
  hostKeyFingerprint: string
  /** True when this connection pinned the key (the first one to this host). */
  pinned: boolean
  server: Server
}

/**
 * Connects with the stored credentials. The first key seen is pinned; a different one is refused
 * before any credential is sent, and kept as the offered key for an admin to judge.
 */
export async function testServer(deps: ServiceDeps, id: number): Promise<ServerTestResult> {
  const server = await findServer(deps, id)
  const result = await deps.ssh.probe(await sshTargetOf(deps, server))
  if (result.outcome === 'failed') throw new TaskyardError('server_unreachable', 'Cannot connect to server', { error: result.reason })
  if (result.outcome === 'host_key_changed') {
    await deps.store.servers.update(id, { offeredHostKeyFingerprint: result.offeredFingerprint, updatedAt: deps.clock.now() })
    throw hostKeyChanged(server, result.offeredFingerprint)
  }
  const decision = judgeHostKey(server.hostKeyFingerprint, result.hostKeyFingerprint)
  const current = decision === 'pin' ? await deps.store.servers.pinHostKey(id, result.hostKeyFingerprint, deps.clock.now()) : server
  return { latencyMs: result.latencyMs, hostKeyFingerprint: result.hostKeyFingerprint, pinned: decision === 'pin', server: current ?? server }
}

export function hostKeyChanged(server: Server, offered: string): TaskyardError {
  return new TaskyardError('host_key_changed', 'Host key changed', {
    error: `The host key of server '${server.name}' changed; nothing was sent. An admin may accept the new key with POST /api/servers/${server.id}/host-key`,
    pinned_fingerprint: server.hostKeyFingerprint,
    offered_fingerprint: offered,
  })
}
