import { sql, type Kysely } from 'kysely'
import { TaskyardError } from '../../domain/errors.ts'
import type { NewTask, Task, TaskPatch, TaskStatus } from '../../domain/task.ts'
import type { Database, RowOf, TaskRow } from '../database.ts'
import { fromRow, toRow } from '../row-mapping.ts'
import { forgetTaskRuns } from './run-summaries.ts'
import type { DialectName, TaskTable } from '../store.ts'
import { isUniqueViolation, type UniqueIndex } from '../unique-violation.ts'
import { firstCompiled } from '../compiled-queries.ts'

const NAME_INDEX: UniqueIndex = { name: 'tasks_name_unique', table: 'tasks', columns: ['name'] }

const NEW_TASK_FIELDS: Record<keyof NewTask, true> = {
  name: true,
  source: true,
  scriptFile: true,
  command: true,
  condaEnv: true,
  requirements: true,
  cronExpression: true,
  delaySeconds: true,
  priority: true,
  status: true,
  createdAt: true,
  updatedAt: true,
  nextRunAt: true,
  ownerId: true,
  runAs: true,
  memoryLimitMb: true,
  maxLogMb: true,
  taskType: true,
  labels: true,
  timeZone: true,
  misfire: true,
  scheduleEnabled: true,
  scheduleDescription: true,
  scheduleRuns: true,
  lastScheduledAt: true,
  timeoutSeconds: true,
  interactive: true,
  nodeVersion: true,
  maxRetries: true,
  retryBackoffSeconds: true,
  retryMaxBackoffSeconds: true,
  concurrency: true,
}

const PATCH_FIELDS: Record<keyof TaskPatch, true> = {
  name: true,
  source: true,
  scriptFile: true,
  command: true,
  condaEnv: true,
  requirements: true,
  cronExpression: true,
  delaySeconds: true,
  priority: true,
  status: true,
  updatedAt: true,
  nextRunAt: true,
  lastRunAt: true,
  lastRunDurationMs: true,
  lastRunId: true,
  ownerId: true,
  runAs: true,
  memoryLimitMb: true,
  maxLogMb: true,
  taskType: true,
  labels: true,
  timeZone: true,
  misfire: true,
  scheduleEnabled: true,
  scheduleDescription: true,
  scheduleRuns: true,
  lastScheduledAt: true,
  timeoutSeconds: true,
  interactive: true,
  nodeVersion: true,
  maxRetries: true,
  retryBackoffSeconds: true,
  retryMaxBackoffSeconds: true,
  concurrency: true,
}

/** Tasks per recordSchedules statement: 3 parameters each, well inside SQLite's limit. */
const SCHEDULE_CHUNK = 500

/** spec 000's refusal of a duplicate task name. */
export function nameTaken(name: string): TaskyardError {
  return new TaskyardError('name_taken', 'Task with this name already exists', {
    error: `Task with name '${name}' already exists`,
  })
}

/** labels are JSON text in the row, a list in the domain; schedule_enabled is 1/0 on both dialects (migration 010), interactive too on SQLite. */
const toTask = (row: TaskRow): Task =>
  fromRow<Task>({
    ...row,
    labels: JSON.parse(row.labels) as string[],
    schedule_enabled: row.schedule_enabled === 1,
    // SQLite has no booleans: interactive reads back as 0 or 1 there.
    interactive: (row.interactive as unknown) === true || (row.interactive as unknown) === 1,
  } as unknown as RowOf<Task>)

/** A domain value's row: labels as JSON text, scheduleEnabled as 1/0. */
function taskRow<T extends Partial<Task>>(value: T, allowed: Readonly<Record<keyof T, true>>) {
  const row = toRow(value, allowed) as Record<string, unknown>
  if (Array.isArray(row.labels)) row.labels = JSON.stringify(row.labels)
  if (typeof row.schedule_enabled === 'boolean') row.schedule_enabled = row.schedule_enabled ? 1 : 0
  return row as never
}

/** The tasks table on `db`, which may be a transaction. */
export function taskTable(db: Kysely<Database>, dialect: DialectName = 'sqlite'): TaskTable {
  async function findByName(name: string): Promise<Task | undefined> {
    // Issue 10: every create asks twice (the service, then insert's check); compiled once.
    const row = await firstCompiled(db, `${dialect} tasks.findByName`, [name], (name) => db.selectFrom('tasks').selectAll().where('name', '=', name))
    return row && toTask(row)
  }

  /**
   * The check answers the common case with a clean error, without making PostgreSQL abort an
   * enclosing transaction; the unique index (see translateNameTaken) settles the race.
   */
  async function assertNameFree(name: string, exceptId?: number): Promise<void> {
    const holder = await findByName(name)
    if (holder && holder.id !== exceptId) throw nameTaken(name)
  }

  async function translateNameTaken<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
    try {
      return await write()
    } catch (error) {
      if (name !== undefined && isUniqueViolation(error, NAME_INDEX)) throw nameTaken(name)
      throw error
    }
  }

  // Issue 10: the run path's statements are compiled once (compiled-queries.ts).
  async function findById(id: number): Promise<Task | undefined> {
    const row = await firstCompiled(db, `${dialect} tasks.findById`, [id], (id) => db.selectFrom('tasks').selectAll().where('id', '=', id))
    return row && toTask(row)
  }

  async function updateWhere(id: number, expected: TaskStatus | undefined, patch: TaskPatch): Promise<Task | undefined> {
    const values: Record<string, unknown> = taskRow(patch, PATCH_FIELDS)
    if (Object.keys(values).length === 0) {
      const task = await findById(id)
      return task && (expected === undefined || task.status === expected) ? task : undefined
    }
    if (patch.name !== undefined) await assertNameFree(patch.name, id)
    const columns = Object.keys(values)
    const key = `${dialect} tasks.update ${columns.join(',')}${expected === undefined ? '' : ' if status'}`
    const args: unknown[] = expected === undefined ? [id, ...Object.values(values)] : [id, expected, ...Object.values(values)]
    const row = await translateNameTaken(patch.name, () =>
      firstCompiled(db, key, args, (...all: unknown[]) => {
        const [id, ...rest] = all
        const set = expected === undefined ? rest : rest.slice(1)
        return db
          .updateTable('tasks')
          .set(Object.fromEntries(columns.map((column, i) => [column, set[i]])) as never)
          .where('id', '=', id as number)
          .$if(expected !== undefined, (qb) => qb.where('status', '=', rest[0] as TaskStatus))
          .returningAll()
      }),
    )
    return row && toTask(row)
  }

  return {
    async insert(task) {
      await assertNameFree(task.name)
      // Issue 10: compiled once per set of columns (every create inserts one).
      const values: Record<string, unknown> = taskRow(task, NEW_TASK_FIELDS)
      const columns = Object.keys(values)
      const row = await translateNameTaken(task.name, () =>
        firstCompiled(db, `${dialect} tasks.insert ${columns.join(',')}`, Object.values(values), (...given: unknown[]) =>
          db
            .insertInto('tasks')
            .values(Object.fromEntries(columns.map((column, i) => [column, given[i]])) as never)
            .returningAll(),
        ),
      )
      if (!row) throw new Error('the new task was not returned')
      return toTask(row)
    },

    findById,
    findByName,

    async findForRun(id) {
      const row = await firstCompiled(db, `${dialect} tasks.findForRun`, [id], (id) =>
        db
          .selectFrom('tasks')
          .leftJoin('task_servers', 'task_servers.task_id', 'tasks.id')
          .selectAll('tasks')
          .select('task_servers.server_id as run_server_id')
          .where('tasks.id', '=', id),
      )
      if (!row) return undefined
      const { run_server_id: serverId, ...task } = row
      return { task: toTask(task as TaskRow), serverId: serverId == null ? null : Number(serverId) }
    },

    async lockById(id) {
      // SQLite has one writer and no FOR UPDATE: its transactions are serial already.
      const row = await firstCompiled(db, `${dialect} tasks.lockById`, [id], (id) =>
        db
          .selectFrom('tasks')
          .selectAll()
          .where('id', '=', id)
          .$if(dialect === 'postgres', (qb) => qb.forUpdate()),
      )
      return row && toTask(row)
    },

    async lockByIds(ids) {
      if (ids.length === 0) return []
      const rows = await db
        .selectFrom('tasks')
        .selectAll()
        .where('id', 'in', [...ids])
        .orderBy('id')
        .$if(dialect === 'postgres', (qb) => qb.forUpdate())
        .execute()
      return rows.map(toTask)
    },

    async recordSchedules(updates) {
      // One UPDATE … FROM a VALUES list on both dialects (SQLite ≥ 3.33); the casts type the
      // list's columns on PostgreSQL, which would read untyped parameters as text.
      for (let i = 0; i < updates.length; i += SCHEDULE_CHUNK) {
        const values = updates
          .slice(i, i + SCHEDULE_CHUNK)
          .map((u) => sql`(CAST(${u.id} AS bigint), CAST(${u.nextRunAt} AS bigint), CAST(${u.fired} AS bigint))`)
        await sql`WITH v(id, next_run_at, fired) AS (VALUES ${sql.join(values)})
          UPDATE tasks SET
            next_run_at = v.next_run_at,
            status = CASE WHEN v.fired IS NULL THEN tasks.status ELSE 'running' END,
            schedule_runs = tasks.schedule_runs + CASE WHEN v.fired IS NULL THEN 0 ELSE 1 END,
            last_scheduled_at = COALESCE(v.fired, tasks.last_scheduled_at)
          FROM v WHERE tasks.id = v.id`.execute(db)
      }
    },

    async list() {
      const rows = await db.selectFrom('tasks').selectAll().orderBy('id').execute()
      return rows.map(toTask)
    },

    update: (id, patch) => updateWhere(id, undefined, patch),

    // The status test and the write are one statement, so a concurrent change of status wins
    // or loses as a whole.
    updateIfStatus: (id, expected, patch) => updateWhere(id, expected, patch),

    async delete(id) {
      // runs go with it: ON DELETE CASCADE (SQLite needs PRAGMA foreign_keys, set at open),
      // taken out of the run summaries in bulk first.
      await forgetTaskRuns(db, id)
      const result = await db.deleteFrom('tasks').where('id', '=', id).executeTakeFirst()
      return result.numDeletedRows > 0n
    },

    async countByStatus() {
      const rows = await db
        .selectFrom('tasks')
        .select((eb) => ['status', eb.fn.countAll<number>().as('count')])
        .groupBy('status')
        .execute()
      return Object.fromEntries(rows.map((r) => [r.status, r.count]))
    },

    async listDue(now) {
      const rows = await db
        .selectFrom('tasks')
        .selectAll()
        // 'running' too (issue 8): a time due while a run is live is decided when it comes.
        .where('status', 'in', ['scheduled', 'running'])
        .where('next_run_at', '<=', now)
        .where('schedule_enabled', '=', 1)
        .orderBy('next_run_at')
        .orderBy('id')
        .execute()
      return rows.map(toTask)
    },

    async nextDueAt() {
      const row = await db
        .selectFrom('tasks')
        .select((eb) => eb.fn.min('next_run_at').as('at'))
        .where('status', 'in', ['scheduled', 'running'])
        .where('schedule_enabled', '=', 1)
        .executeTakeFirst()
      return row?.at ?? null
    },

    async listUpcoming(limit) {
      const rows = await db
        .selectFrom('tasks')
        .selectAll()
        .where('status', '=', 'scheduled')
        .where('next_run_at', 'is not', null)
        .where('schedule_enabled', '=', 1)
        .orderBy('next_run_at')
        .orderBy('id')
        .limit(limit)
        .execute()
      return rows.map(toTask)
    },

    async listScheduled() {
      const rows = await db.selectFrom('tasks').selectAll().where('cron_expression', 'is not', null).orderBy('id').execute()
      return rows.map(toTask)
    },
  }
}
