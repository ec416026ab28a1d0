/**
 * spec 001's task list (issue 12): one page of tasks with the server each runs on, and the count
 * of all that match, under the same filter. Two queries in one read; the filter is parameters only.
 */
import { sql, type Kysely } from 'kysely'
import type { Task } from '../../domain/task.ts'
import type { Database } from '../database.ts'
import { fromRow } from '../row-mapping.ts'
import type { TaskPage, TaskPageFilter } from '../store.ts'

/** spec 001: "任务（Task）本身的status字段表示启用状态（0:禁用, 1:启用）" — stopped and paused tasks are the disabled ones. */
const DISABLED = ['stopped', 'paused'] as const

/** `%`, `_` and the escape itself match only themselves in the fuzzy name. */
const likePattern = (text: string): string => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`

export async function listTaskPage(db: Kysely<Database>, filter: TaskPageFilter): Promise<TaskPage> {
  let query = db.selectFrom('tasks').leftJoin('task_servers', 'task_servers.task_id', 'tasks.id')
  if (filter.serverId !== undefined) query = query.where('task_servers.server_id', '=', filter.serverId)
  if (filter.enabled === true) query = query.where('tasks.status', 'not in', DISABLED)
  if (filter.enabled === false) query = query.where('tasks.status', 'in', DISABLED)
  if (filter.lastRunFrom !== undefined) query = query.where('tasks.last_run_at', '>=', filter.lastRunFrom)
  if (filter.lastRunTo !== undefined) query = query.where('tasks.last_run_at', '<=', filter.lastRunTo)
  if (filter.ownerId !== undefined) query = query.where('tasks.owner_id', '=', filter.ownerId)
  if (filter.nameContains !== undefined) query = query.where(sql<boolean>`lower(tasks.name) like ${likePattern(filter.nameContains)} escape '\\'`)
  const counted = await query.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
  const rows = await query.selectAll('tasks').select('task_servers.server_id').orderBy('tasks.id', 'desc').limit(filter.limit).offset(filter.offset).execute()
  return {
    total: Number(counted.n),
    items: rows.map(({ server_id, ...row }) => ({ task: fromRow<Task>(row as never), serverId: server_id == null ? null : Number(server_id) })),
  }
}
