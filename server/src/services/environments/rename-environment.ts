import { TaskyardError } from '../../domain/errors.ts'
import type { ServiceDeps } from '../deps.ts'
import { recordAudit, type Actor } from '../auth/record-audit.ts'
import { assertEnvironmentExists, assertNotBase, assertEnvironmentPermission, environmentInUse, referencingTasks } from './environment-access.ts'

/**
 * 000a rename: the tasks that used the old name use the new one. The directory is renamed under
 * the environment's lock, then the tasks are changed in one transaction; a failed transaction
 * gives the directory its old name back; a crash between the two is settled at start-up by
 * recover-renames.ts. A task with a live run (its process is inside the
 * directory) is refused, like package changes.
 */
export async function renameEnvironment(
  deps: Pick<ServiceDeps, 'environments' | 'store' | 'clock' | 'bus'>,
  actor: Actor,
  oldName: string,
  newName: string,
): Promise<{ updatedTasks: number }> {
  await assertEnvironmentExists(deps, oldName)
  assertEnvironmentPermission(actor.user, 'rename')
  assertNotBase(oldName, 'renamed')
  if (newName === '') {
    throw new TaskyardError('invalid_input', 'Missing required field', { error: 'new_name is required' })
  }
  const busy = await referencingTasks(deps, oldName, true)
  if (busy.length > 0) throw environmentInUse('Cannot rename environment that is referenced by running tasks', busy)
  let updated: number[] = []
  await deps.environments.rename(oldName, newName, async (renameId) => {
    updated = await deps.store.transaction(async (tx) => {
      const ids: number[] = []
      for (const task of await tx.tasks.list()) {
        if (task.condaEnv !== oldName) continue
        await tx.tasks.update(task.id, { condaEnv: newName, updatedAt: deps.clock.now() })
        ids.push(task.id)
      }
      // The build history (and so the status) follows the environment.
      await tx.environmentBuilds.rename(oldName, newName)
      // In the tasks' transaction: a refused entry renames the directory back, and its rename_id
      // is the commit record a crash is settled by (recover-renames.ts).
      await recordAudit(
        tx,
        deps.clock,
        actor,
        'environment.rename',
        { type: 'environment', id: newName },
        { old_name: oldName, updated_tasks: ids.length, rename_id: renameId },
      )
      return ids
    })
  })
  for (const taskId of updated) deps.bus.emit('task:changed', { taskId })
  return { updatedTasks: updated.length }
}
