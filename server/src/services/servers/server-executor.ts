import type { Executor } from '../../executor/executor.ts'
import type { ServiceDeps } from '../deps.ts'
import { findServer, sshTargetOf } from './find-server.ts'

/**
 * The seam for the dispatcher (issue 12): the executor of a task's runs is its server's
 * (`store.servers.findTaskServer`), else the local one. The target is read again at each new
 * connection, so a changed credential or an accepted host key applies to the next connection; an
 * unpinned server's first key is pinned.
 */
export async function executorForServer(deps: Pick<ServiceDeps, 'store' | 'secretBox' | 'ssh' | 'clock'>, serverId: number): Promise<Executor> {
  const server = await findServer(deps, serverId)
  return deps.ssh.executorFor(serverId, {
    label: `${server.username}@${server.host}:${server.port}`,
    target: async () => sshTargetOf(deps, await findServer(deps, serverId)),
    onFirstHostKey: async (fingerprint) => void (await deps.store.servers.pinHostKey(serverId, fingerprint, deps.clock.now())),
  })
}
