import { taskNotFound } from '../domain/errors.ts'
import type { Task } from '../domain/task.ts'
import type { StoreTables } from '../store/store.ts'

/** The task, or spec 000's 404. */
export async function findTaskOrThrow(tables: StoreTables, taskId: number): Promise<Task> {
  const task = await tables.tasks.findById(taskId)
  if (!task) throw taskNotFound(taskId)
  return task
}

/**
 * The task, locked for the rest of the transaction (tables must be a transaction's), or spec
 * 000's 404. Every path that queues a run reads its task this way: two triggers, a trigger and
 * a resume, or a trigger and the scheduler then take turns, and the second sees the first's run.
 */
export async function lockTaskOrThrow(tables: StoreTables, taskId: number): Promise<Task> {
  const task = await tables.tasks.lockById(taskId)
  if (!task) throw taskNotFound(taskId)
  return task
}
