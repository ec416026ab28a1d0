import { taskNotFound } from '../domain/errors.ts'
import type { Task } from '../domain/task.ts'
import type { StoreTables } from '../store/store.ts'

/** The task, or spec 000's 404. */
export async function findTaskOrThrow(tables: StoreTables, taskId: number): Promise<Task> {
  const task = await tables.tasks.findById(taskId)
  if (!task) throw taskNotFound(taskId)
  return task
}
