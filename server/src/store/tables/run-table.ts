import { sql, type Kysely } from 'kysely'
import { ACTIVE_RUN_STATUSES, isActive, type NewRun, type Run, type RunBriefWithTaskName, type RunStatus, type RunWithTaskName } from '../../domain/run.ts'
import type { Database, RowOf, RunRow } from '../database.ts'
import { toRow } from '../row-mapping.ts'
import { BRIEF_COLUMNS, briefFromRow, RUN_PATCH_FIELDS, runFromRow, type RunColumns } from './run-row.ts'
import { BUCKET_MS } from '../migrations/006-run-summaries.ts'
import type { DialectName, RunTable } from '../store.ts'
import { refusal } from '../../domain/task-actions.ts'
import { isUniqueViolation, type UniqueIndex } from '../unique-violation.ts'
import { importRuns } from './import-runs.ts'
import { executeCompiled, firstCompiled } from '../compiled-queries.ts'

/** Migration 011: one live lock-holding run per task (spec 004's lock, held by the database). */
const TASK_LOCK_INDEX: UniqueIndex = { name: 'runs_task_lock', table: 'runs', columns: ['task_id'] }

const NEW_RUN_FIELDS: Record<Exclude<keyof NewRun, 'holdsLock'>, true> = {
  taskId: true,
  priority: true,
  trigger: true,
  queuedAt: true,
  attempt: true,
  firstRunId: true,
  notBefore: true,
  retryOf: true,
}

const COLUMN_OF_FIELD = { startedAt: 'started_at', endedAt: 'ended_at' } as const

/** SQLite has no booleans: output_truncated reads back as 0 or 1 there. */
function withBoolean<T extends Run>(row: Omit<RowOf<T>, 'output_truncated'> & { output_truncated: boolean | number; holds_lock?: number }): T {
  // holds_lock (migration 011) is the store's own: runFromRow leaves it out of the domain's Run.
  const run: Run & { taskName?: string } = runFromRow(row as unknown as RunColumns)
  const taskName = (row as { task_name?: string }).task_name
  if (taskName !== undefined) run.taskName = taskName
  return run as T
}

const toRun = (row: RunRow): Run => withBoolean<Run>(row)

const durationMs = sql<number>`${sql.ref('ended_at')} - ${sql.ref('started_at')}`

/**
 * `status IN ('queued', 'running', 'paused')` with literals, not parameters: the predicate of
 * the partial index runs_active, which SQLite uses only when a query repeats it exactly.
 */
const ACTIVE_LITERALS = ACTIVE_RUN_STATUSES.map((status) => sql.lit(status))

/** Rows per insertMany statement. */
const INSERT_CHUNK = 500

/** The runs table on `db`, which may be a transaction. */
export function runTable(db: Kysely<Database>, dialect: DialectName): RunTable {
  // Issue 10: the run path's statements are compiled once (compiled-queries.ts); a key names the
  // dialect and whatever else shapes the SQL's text.
  async function findById(id: number): Promise<Run | undefined> {
    const row = await firstCompiled(db, `${dialect} runs.findById`, [id], (id) => db.selectFrom('runs').selectAll().where('id', '=', id))
    return row && toRun(row)
  }

  return {
    async insert(run) {
      const { holdsLock, ...fields } = run
      // Issue 8: left out, the task's policy decides in this very statement (forbid and replace
      // take the lock), so no caller can queue a second live run of a forbid task by forgetting it.
      // Issue 10: compiled once per set of columns (every trigger and create inserts one).
      const values = toRow(fields, NEW_RUN_FIELDS)
      const columns = Object.keys(values)
      const mode = holdsLock === undefined ? 'by policy' : holdsLock ? 'holds' : 'free'
      const args = holdsLock === undefined ? [...Object.values(values), run.taskId] : Object.values(values)
      try {
        const row = await firstCompiled(db, `${dialect} runs.insert ${columns.join(',')} ${mode}`, args, (...given: unknown[]) => {
          const holds =
            holdsLock === undefined
              ? sql<number>`(SELECT CASE WHEN concurrency IN ('forbid', 'replace') THEN 1 ELSE 0 END FROM tasks WHERE id = ${given[columns.length]})`
              : holdsLock
                ? 1
                : 0
          return db
            .insertInto('runs')
            .values({ ...Object.fromEntries(columns.map((column, i) => [column, given[i]])), status: 'queued', holds_lock: holds } as never)
            .returningAll()
        })
        if (!row) throw new Error('the new run was not returned')
        return toRun(row)
      } catch (error) {
        // The services check under the task's row lock first; this is the database's backstop.
        if (isUniqueViolation(error, TASK_LOCK_INDEX)) throw refusal('trigger', 'running')
        throw error
      }
    },

    async insertMany(runs) {
      const inserted: Run[] = []
      // 10 columns a row: 500 rows stay well inside SQLite's limit of bound parameters (32,766).
      for (let i = 0; i < runs.length; i += INSERT_CHUNK) {
        const values = runs.slice(i, i + INSERT_CHUNK).map(({ holdsLock, ...fields }) => ({
          ...toRow(fields, NEW_RUN_FIELDS),
          status: 'queued' as const,
          holds_lock: holdsLock ? 1 : 0,
        }))
        try {
          const rows = await db.insertInto('runs').values(values).returningAll().execute()
          // One statement numbers its rows in the order given: sorted by id, they are in that order.
          inserted.push(...rows.map(toRun).sort((a, b) => a.id - b.id))
        } catch (error) {
          if (isUniqueViolation(error, TASK_LOCK_INDEX)) throw refusal('trigger', 'running')
          throw error
        }
      }
      return inserted
    },

    importMany: (runs) => importRuns(db, dialect, runs),

    async listActiveForTasks(taskIds) {
      const byTask = new Map<number, Run[]>()
      if (taskIds.length === 0) return byTask
      const rows = await db
        .selectFrom('runs')
        .selectAll()
        .where('task_id', 'in', [...taskIds])
        .where('status', 'in', ACTIVE_LITERALS)
        .orderBy('id')
        .execute()
      for (const run of rows.map(toRun)) {
        const list = byTask.get(run.taskId)
        if (list) list.push(run)
        else byTask.set(run.taskId, [run])
      }
      return byTask
    },

    async releaseLock(id) {
      await db.updateTable('runs').set({ holds_lock: 0 }).where('id', '=', id).execute()
    },

    async listActiveForTask(taskId) {
      const { rows } = await executeCompiled(db, `${dialect} runs.listActiveForTask`, [taskId], (taskId) =>
        db.selectFrom('runs').selectAll().where('task_id', '=', taskId).where('status', 'in', ACTIVE_LITERALS).orderBy('id'),
      )
      return rows.map(toRun)
    },

    async countQueuedOnlyRunningTasks() {
      const row = await db
        .selectFrom('tasks')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tasks.status', '=', 'running')
        .where(({ exists, not, selectFrom }) =>
          exists(
            selectFrom('runs')
              .select('runs.id')
              .whereRef('runs.task_id', '=', 'tasks.id')
              .where('runs.status', 'in', ACTIVE_LITERALS)
              .where('runs.status', '=', sql.lit('queued')),
          ).and(
            not(
              exists(
                selectFrom('runs')
                  .select('runs.id')
                  .whereRef('runs.task_id', '=', 'tasks.id')
                  .where('runs.status', 'in', ACTIVE_LITERALS)
                  .where('runs.status', '<>', sql.lit('queued')),
              ),
            ),
          ),
        )
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },

    async countLiveByTask() {
      const rows = await db
        .selectFrom('runs')
        .select((eb) => [
          'task_id',
          eb.fn.countAll<number>().filterWhere('status', '=', 'queued').as('queued'),
          eb.fn.countAll<number>().filterWhere('status', '<>', 'queued').as('busy'),
        ])
        .where('status', 'in', ACTIVE_LITERALS)
        .groupBy('task_id')
        .execute()
      return new Map(rows.map((r) => [Number(r.task_id), { queued: Number(r.queued), busy: Number(r.busy) }]))
    },

    findById,

    async update(id, patch) {
      const values = toRow(patch, RUN_PATCH_FIELDS)
      const columns = Object.keys(values)
      if (columns.length === 0) return findById(id)
      const row = await firstCompiled(db, `${dialect} runs.update ${columns.join(',')}`, [id, ...Object.values(values)], (id, ...set) =>
        db
          .updateTable('runs')
          .set(Object.fromEntries(columns.map((column, i) => [column, set[i]])))
          .where('id', '=', id as number)
          .returningAll(),
      )
      return row && toRun(row)
    },

    async claimNext(workerId, now) {
      const row = await firstCompiled(db, `${dialect} runs.claimNext`, [workerId, now], (workerId, now) =>
        db
          .updateTable('runs')
          .set({ status: 'running', worker_id: workerId, started_at: now })
          .where('id', '=', (eb) =>
            eb
              .selectFrom('runs')
              .select('id')
              .where('status', '=', 'queued')
              // Issue 8: a retry waits out its backoff (the worker arms a timer for nextNotBefore).
              .where((eb) => eb.or([eb('not_before', 'is', null), eb('not_before', '<=', now)]))
              // A run whose environment is being built waits queued (issue 9): its task's
              // environment has a build without an end. The build's end wakes the worker.
              .where(({ not, exists, selectFrom }) =>
                not(
                  exists(
                    selectFrom('tasks')
                      .innerJoin('environment_builds', 'environment_builds.env_name', 'tasks.conda_env')
                      .select('environment_builds.id')
                      .whereRef('tasks.id', '=', 'runs.task_id')
                      .where('environment_builds.ended_at', 'is', null),
                  ),
                ),
              )
              // Issue 8: a run of a task whose policy is not 'allow' waits while another run of the
              // same task is running or paused (a queue task's next run, a replace's new run while
              // the old one stops). Claims are serialised by the queue_settings row lock, so no two
              // claimers can both see the task idle.
              .where(({ not, exists, selectFrom }) =>
                not(
                  exists(
                    selectFrom('runs as busy')
                      .innerJoin('tasks as own', 'own.id', 'busy.task_id')
                      .select('busy.id')
                      .whereRef('busy.task_id', '=', 'runs.task_id')
                      // The active predicate verbatim (the partial index runs_active), then leave the queued ones out.
                      .where('busy.status', 'in', ACTIVE_LITERALS)
                      .where('busy.status', '<>', sql.lit('queued'))
                      .where('own.concurrency', '<>', 'allow'),
                  ),
                ),
              )
              .orderBy('priority')
              .orderBy('queued_at')
              .orderBy('id')
              .limit(1)
              // SQLite runs one writer at a time, so the statement is atomic as it stands.
              // PostgreSQL claimers run side by side: each locks its pick and passes over rows
              // another claimer holds, instead of queueing behind it for the same row.
              .$if(dialect === 'postgres', (qb) => qb.forUpdate().skipLocked()),
          )
          .where('status', '=', 'queued')
          .returningAll(),
      )
      return row && toRun(row)
    },

    async countBusy() {
      const row = await firstCompiled(db, `${dialect} runs.countBusy`, [], () =>
        db
          .selectFrom('runs')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          // The active predicate verbatim (the partial index), then leave the queued ones out.
          .where('status', 'in', ACTIVE_LITERALS)
          .where('status', '<>', sql.lit('queued')),
      )
      return Number(row!.n)
    },

    async listQueued(limit, offset) {
      const rows = await db
        .selectFrom('runs')
        .innerJoin('tasks', 'tasks.id', 'runs.task_id')
        .selectAll('runs')
        .select('tasks.name as task_name')
        .where('runs.status', '=', 'queued')
        .orderBy('runs.priority')
        .orderBy('runs.queued_at')
        .orderBy('runs.id')
        .limit(limit)
        .offset(offset)
        .execute()
      return rows.map((row) => withBoolean<RunWithTaskName>(row))
    },

    async countQueued() {
      const row = await db
        .selectFrom('runs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'queued')
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },

    async cancelIfQueued(id, endedAt, error) {
      const row = await db
        .updateTable('runs')
        .set({ status: 'cancelled', ended_at: endedAt, error })
        .where('id', '=', id)
        .where('status', '=', 'queued')
        .returningAll()
        .executeTakeFirst()
      return row && toRun(row)
    },

    async setQueuedPriority(taskId, priority) {
      const result = await db.updateTable('runs').set({ priority }).where('task_id', '=', taskId).where('status', '=', 'queued').executeTakeFirst()
      return Number(result.numUpdatedRows)
    },

    async listForTask(taskId, limit, offset = 0) {
      const rows = await db
        .selectFrom('runs')
        .selectAll()
        .where('task_id', '=', taskId)
        // (task_id, id): the index runs_task_id_id's own order. PostgreSQL may still walk the
        // primary key backwards for a task with a large share of the runs (measured at 1,000,000
        // runs: a task with a fifth of them, 5 rows read per row kept), which is cheap there.
        .orderBy('task_id', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .$if(offset > 0, (qb) => qb.offset(offset))
        .execute()
      return rows.map(toRun)
    },

    async listBriefForTask(taskId, limit) {
      const rows = await db
        .selectFrom('runs')
        .select(BRIEF_COLUMNS)
        .where('task_id', '=', taskId)
        .orderBy('task_id', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute()
      return rows.map(briefFromRow)
    },

    async queuePosition(id, now) {
      const run = await findById(id)
      if (!run || run.status !== 'queued') return null
      // claimNext's order, (priority, queued_at, id): the runs at or before this one. A retry
      // waiting out its backoff (not_before after now) is not ahead of anyone yet: claimNext skips it.
      const row = await db
        .selectFrom('runs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'queued')
        .where((eb) => eb.or([eb('not_before', 'is', null), eb('not_before', '<=', now), eb('id', '=', run.id)]))
        .where((eb) =>
          eb.or([
            eb('priority', '<', run.priority),
            eb.and([
              eb('priority', '=', run.priority),
              eb.or([eb('queued_at', '<', run.queuedAt), eb.and([eb('queued_at', '=', run.queuedAt), eb('id', '<=', run.id)])]),
            ]),
          ]),
        )
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },

    async countForTask(taskId) {
      // Finished runs from the task's totals, its active run (at most one) live.
      const row = await db
        .selectNoFrom((eb) => [
          eb
            .selectFrom('run_totals')
            .select((sub) => sub.fn.coalesce(sub.fn.sum<number>('runs'), sql.lit(0)).as('n'))
            .where('task_id', '=', taskId)
            .as('finished'),
          eb
            .selectFrom('runs')
            .select((sub) => sub.fn.countAll<number>().as('n'))
            .where('task_id', '=', taskId)
            .where('status', 'in', ACTIVE_LITERALS)
            .as('active'),
        ])
        .executeTakeFirstOrThrow()
      return Number(row.finished ?? 0) + Number(row.active ?? 0)
    },

    async findActiveForTask(taskId) {
      const row = await firstCompiled(db, `${dialect} runs.findActiveForTask`, [taskId], (taskId) =>
        db.selectFrom('runs').selectAll().where('task_id', '=', taskId).where('status', 'in', ACTIVE_LITERALS).orderBy('id', 'desc').limit(1),
      )
      return row && toRun(row)
    },

    async listActive() {
      const rows = await db.selectFrom('runs').selectAll().where('status', 'in', ACTIVE_LITERALS).orderBy('queued_at').orderBy('id').execute()
      return rows.map(toRun)
    },

    async countByStatus() {
      const rows = await db
        .selectFrom('run_totals')
        .select((eb) => ['status', eb.fn.sum<number>('runs').as('count')])
        .groupBy('status')
        .unionAll(
          db
            .selectFrom('runs')
            .select((eb) => ['status', eb.fn.countAll<number>().as('count')])
            .where('status', 'in', ACTIVE_LITERALS)
            .groupBy('status'),
        )
        .execute()
      // As GROUP BY over the runs answered: a status without runs is absent.
      return Object.fromEntries(rows.filter((r) => Number(r.count) > 0).map((r) => [r.status, Number(r.count)]))
    },

    async durationStats() {
      const live = db
        .selectFrom('runs')
        .select([sql.lit(1).as('timed'), durationMs.as('sum_ms'), durationMs.as('min_ms'), durationMs.as('max_ms')])
        .where('status', 'in', ACTIVE_LITERALS)
        .where('started_at', 'is not', null)
        .where('ended_at', 'is not', null)
      const row = await db
        .selectFrom(db.selectFrom('run_totals').select(['timed', 'sum_ms', 'min_ms', 'max_ms']).unionAll(live).as('parts'))
        .select((eb) => [
          eb.fn.sum<number | null>('timed').as('count'),
          eb.fn.sum<number | null>('sum_ms').as('sum_ms'),
          eb.fn.min<number | null>('min_ms').as('min_ms'),
          eb.fn.max<number | null>('max_ms').as('max_ms'),
        ])
        .executeTakeFirstOrThrow()
      const count = Number(row.count ?? 0)
      return {
        count,
        avgMs: count === 0 ? null : Number(row.sum_ms) / count,
        minMs: row.min_ms === null ? null : Number(row.min_ms),
        maxMs: row.max_ms === null ? null : Number(row.max_ms),
      }
    },

    async countInRanges(field, ranges, statuses) {
      if (ranges.length === 0) return []
      if (statuses?.length === 0) return ranges.map(() => 0)
      const column = COLUMN_OF_FIELD[field]
      const counter = field === 'startedAt' ? 'started' : 'ended'
      const active = statuses === undefined ? ACTIVE_RUN_STATUSES : statuses.filter(isActive)
      // One statement, one subquery per range. Finished runs come from the quarter-hour buckets
      // (a range on quarter hours, as every hour and local day is); active runs, which are few,
      // are counted live. A range off the quarter hours reads its slice of the (time, status)
      // index instead; the status test stays out of WHERE there, so that no planner trades the
      // time range for the claim index's status prefix.
      // Written with sql fragments, not the expression builder: 24 ranges are 48 subqueries, and
      // building them cost more CPU than SQLite answering them (issue 10). Same SQL as before.
      const time = sql.ref(column)
      const inList = (values: readonly RunStatus[]) => sql.join([...values])
      const cellsSql = ranges.flatMap((range, i) => {
        if (range.from % BUCKET_MS !== 0 || range.to % BUCKET_MS !== 0) {
          const count = statuses === undefined ? sql`count(*)` : sql`count(*) filter (where "status" in (${inList(statuses)}))`
          return [sql`(select ${count} as "n" from "runs" where ${time} >= ${range.from} and ${time} < ${range.to}) as ${sql.ref(`r${i}`)}`]
        }
        const byStatus = statuses === undefined ? sql`` : sql` and "status" in (${inList(statuses)})`
        const finished = sql`(select sum(${sql.ref(counter)}) as "n" from "run_buckets" where "at" >= ${range.from} and "at" < ${range.to}${byStatus}) as ${sql.ref(`r${i}`)}`
        if (active.length === 0) return [finished]
        const live = statuses === undefined ? sql.join(ACTIVE_LITERALS) : inList(active)
        return [
          finished,
          sql`(select count(*) as "n" from "runs" where "status" in (${live}) and ${time} >= ${range.from} and ${time} < ${range.to}) as ${sql.ref(`a${i}`)}`,
        ]
      })
      const { rows } = await sql<Record<string, unknown>>`select ${sql.join(cellsSql)}`.execute(db)
      const row = rows[0]!
      const cells = row as Record<string, number | null | undefined>
      return ranges.map((_, i) => Number(cells[`r${i}`] ?? 0) + Number(cells[`a${i}`] ?? 0))
    },

    async nextNotBefore(now) {
      const row = await firstCompiled(db, `${dialect} runs.nextNotBefore`, [now], (now) =>
        db
          .selectFrom('runs')
          .select((eb) => eb.fn.min<number | null>('not_before').as('at'))
          .where('status', '=', 'queued')
          .where('not_before', '>', now),
      )
      return row?.at == null ? null : Number(row.at)
    },

    async updateIfStatus(id, expected, patch) {
      const values = toRow(patch, RUN_PATCH_FIELDS)
      const row = await db
        .updateTable('runs')
        .set(Object.keys(values).length === 0 ? { status: expected } : values)
        .where('id', '=', id)
        .where('status', '=', expected)
        .returningAll()
        .executeTakeFirst()
      return row && toRun(row)
    },

    async requestAction(id, action, statuses) {
      const row = await db
        .updateTable('runs')
        .set({ requested_action: action })
        .where('id', '=', id)
        .where('status', 'in', statuses)
        .where((eb) => eb.or([eb('requested_action', 'is', null), eb('requested_action', '<>', 'stop')]))
        .returningAll()
        .executeTakeFirst()
      return row && toRun(row)
    },

    async listRequested(workerId) {
      const { rows } = await executeCompiled(db, `${dialect} runs.listRequested`, [workerId], (workerId) =>
        db
          .selectFrom('runs')
          .selectAll()
          .where('status', 'in', ACTIVE_LITERALS)
          .where('worker_id', '=', workerId)
          .where('requested_action', 'is not', null)
          .orderBy('id'),
      )
      return rows.map(toRun)
    },

    async clearRequest(id, action) {
      const result = await db.updateTable('runs').set({ requested_action: null }).where('id', '=', id).where('requested_action', '=', action).executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },

    async listHistory(since, limit) {
      const rows = await db
        .selectFrom('runs')
        .innerJoin('tasks', 'tasks.id', 'runs.task_id')
        .select(BRIEF_COLUMNS.map((column) => `runs.${column}` as const))
        .select('tasks.name as task_name')
        .where('runs.started_at', '>=', since)
        .orderBy('runs.started_at', 'desc')
        .orderBy('runs.id', 'desc')
        .limit(limit)
        .execute()
      return rows.map((row) => {
        const run = briefFromRow(row) as RunBriefWithTaskName
        run.taskName = row.task_name
        return run
      })
    },
  }
}
