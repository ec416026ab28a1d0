import type { TaskPage, TaskPageFilter } from '../../store/store.ts'
import type { Actor } from '../auth/record-audit.ts'
import { assertTaskPermission } from '../auth/task-permission.ts'
import type { ServiceDeps } from '../deps.ts'

export interface TaskPageQuery {
  /** From 1. */
  page: number
  pageSize: number
  filter: Omit<TaskPageFilter, 'offset' | 'limit'>
}

/** spec 001's paged, filtered task list; every role reads every task (domain/user.ts). */
export async function listTaskPage(deps: Pick<ServiceDeps, 'store'>, actor: Actor, query: TaskPageQuery): Promise<TaskPage> {
  await assertTaskPermission(deps, actor.user, 'read', null)
  return deps.store.servers.listTaskPage({ ...query.filter, offset: (query.page - 1) * query.pageSize, limit: query.pageSize })
}
