import { TaskyardError } from '../../domain/errors.ts'
import type { Server, ServerCredentials } from '../../domain/server.ts'
import type { SshTarget } from '../../executor/executor.ts'
import type { ServiceDeps } from '../deps.ts'

export const serverNotFound = (id: number | string): TaskyardError => new TaskyardError('server_not_found', `Server with ID ${id} not found`)

export async function findServer(deps: Pick<ServiceDeps, 'store'>, id: number): Promise<Server> {
  const server = await deps.store.servers.findById(id)
  if (!server) throw serverNotFound(id)
  return server
}

export function listServers(deps: Pick<ServiceDeps, 'store'>): Promise<Server[]> {
  return deps.store.servers.list()
}

/** The server as SSH connects to it, its secret opened: for the executor and the probe only. */
export async function sshTargetOf(deps: Pick<ServiceDeps, 'store' | 'secretBox'>, server: Server): Promise<SshTarget> {
  const sealed = await deps.store.servers.findSealedSecret(server.id)
  if (sealed === undefined) throw serverNotFound(server.id)
  const credentials = JSON.parse(deps.secretBox.open(sealed)) as ServerCredentials
  return { host: server.host, port: server.port, username: server.username, credentials, hostKeyFingerprint: server.hostKeyFingerprint }
}

export const sealCredentials = (deps: Pick<ServiceDeps, 'secretBox'>, credentials: ServerCredentials): string =>
  deps.secretBox.seal(JSON.stringify(credentials))
