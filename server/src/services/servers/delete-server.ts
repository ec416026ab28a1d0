import { TaskyardError } from '../../domain/errors.ts'
import { recordAudit, type Actor } from '../auth/record-audit.ts'
import type { ServiceDeps } from '../deps.ts'
import { findServer, serverNotFound } from './find-server.ts'

/**
 * Admins only (checked by the caller). A server tasks run on is refused unless forced; forced,
 * those tasks lose their server (the links go with it) and must be given another before they run.
 * Deleted, its runs still under way here are stopped and the sweeps it had pending dropped with
 * their file (SshHosts.forget): nothing will connect to it again.
 */
export async function deleteServer(deps: ServiceDeps, actor: Actor, id: number, force: boolean): Promise<void> {
  const server = await findServer(deps, id)
  await deps.store.transaction(async (tx) => {
    const taskIds = await tx.servers.listTaskIds(id)
    if (taskIds.length > 0 && !force) {
      const names = await Promise.all(taskIds.map(async (taskId) => (await tx.tasks.findById(taskId))?.name ?? String(taskId)))
      throw new TaskyardError('server_in_use', 'Server is used by tasks', {
        error: `Server '${server.name}' is used by ${taskIds.length} task(s); delete with force=true to detach them`,
        referencing_tasks: names,
      })
    }
    if (!(await tx.servers.delete(id))) throw serverNotFound(id)
    await recordAudit(tx, deps.clock, actor, 'server.delete', { type: 'server', id }, { name: server.name, forced: force })
  })
  // After commit: a refused delete keeps its executor, its runs and its pending sweeps.
  await deps.ssh.forget(id)
}
