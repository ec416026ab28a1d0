/**
 * The query plans of the read routes' store calls, on the seeded database (figure 4): a second
 * store on the same database, whose Kysely records every query the calls make; each is then
 * explained with its own parameters (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN (ANALYZE,
 * BUFFERS), which runs it). Read-only calls only. The plans go into the figure's details, so a
 * scan or a sort of all runs shows there next to the latency it costs.
 */
import { type CompiledQuery, type Kysely, type KyselyPlugin, type RootOperationNode } from 'kysely'
import type { Database } from '../../server/src/store/database.ts'
import { kyselyStore } from '../../server/src/store/kysely-store.ts'
import { openPostgres } from '../../server/src/store/postgres.ts'
import { openSqlite, sqliteFileFromUrl } from '../../server/src/store/sqlite.ts'
import type { Store } from '../../server/src/store/store.ts'

/** Which store calls each route makes (services/get-task.ts, task-stats.ts, list-tasks.ts). */
export function readCalls(bigTaskId: number, now: number): [string, (store: Store) => Promise<unknown>][] {
  const hour = 3_600_000
  const currentHour = now - (now % hour)
  const hours = Array.from({ length: 24 }, (_, i) => ({ from: currentHour - (23 - i) * hour, to: currentHour - (22 - i) * hour }))
  const day = (offset: number): number => {
    const d = new Date(now)
    return new Date(d.getFullYear(), d.getMonth(), d.getDate() + offset).getTime()
  }
  const days = Array.from({ length: 7 }, (_, i) => ({ from: day(i - 6), to: day(i - 5) }))
  return [
    ['task: tasks.findById', (s) => s.tasks.findById(bigTaskId)],
    ['task: runs.listActiveForTask', (s) => s.runs.listActiveForTask(bigTaskId)],
    ['task, executions: runs.listBriefForTask (100 / 1,000)', (s) => s.runs.listBriefForTask(bigTaskId, 1000)],
    ['executions page: runs.countForTask', (s) => s.runs.countForTask(bigTaskId)],
    ['executions page: runs.listForTask page 50 of 10', (s) => s.runs.listForTask(bigTaskId, 10, 490)],
    ['stats: tasks.countByStatus', (s) => s.tasks.countByStatus()],
    ['stats: runs.countQueuedOnlyRunningTasks', (s) => s.runs.countQueuedOnlyRunningTasks()],
    ['stats: runs.countByStatus', (s) => s.runs.countByStatus()],
    ['stats: runs.durationStats', (s) => s.runs.durationStats()],
    ['stats: systemSamples.averageMemoryInRanges', (s) => s.systemSamples.averageMemoryInRanges(hours)],
    ['stats: runs.countInRanges (24 hours started)', (s) => s.runs.countInRanges('startedAt', hours)],
    ['stats: runs.countInRanges (7 days completed)', (s) => s.runs.countInRanges('endedAt', days, ['completed'])],
    ['stats: tasks.listUpcoming', (s) => s.tasks.listUpcoming(10)],
    ['stats: runs.listHistory (recent 5)', (s) => s.runs.listHistory(0, 5)],
    ['history: runs.listHistory (30 days, 1,000)', (s) => s.runs.listHistory(now - 30 * 24 * hour, 1000)],
    ['list: tasks.list', (s) => s.tasks.list()],
    ['list: runs.countLiveByTask', (s) => s.runs.countLiveByTask()],
  ]
}

/** Keeps the node of every query executed (subqueries are transformed too, but not executed). */
class Recorder implements KyselyPlugin {
  readonly nodes: RootOperationNode[] = []
  readonly #pending = new WeakMap<object, RootOperationNode>()
  transformQuery(args: { node: RootOperationNode; queryId: object }): RootOperationNode {
    this.#pending.set(args.queryId, args.node)
    return args.node
  }
  async transformResult<R>(args: { result: R; queryId: object }): Promise<R> {
    const node = this.#pending.get(args.queryId)
    if (node) this.nodes.push(node)
    return args.result
  }
}

/** Plan lines kept per statement (SQLite lists one pair per scalar subquery: 24 hours, 48 lines). */
const MAX_PLAN_LINES = 14

/** Each call's statements with their plans, as lines: `<call>: <sql>` then the plan indented. */
export async function explainReads(databaseUrl: string, calls: [string, (store: Store) => Promise<unknown>][]): Promise<string[]> {
  const postgres = databaseUrl.startsWith('postgres')
  const db: Kysely<Database> = postgres ? openPostgres(databaseUrl) : openSqlite(sqliteFileFromUrl(databaseUrl))
  const lines: string[] = []
  try {
    for (const [name, call] of calls) {
      const recorder = new Recorder()
      await call(kyselyStore(db.withPlugin(recorder), postgres ? 'postgres' : 'sqlite'))
      for (const node of recorder.nodes) {
        const compiled: CompiledQuery = db.getExecutor().compileQuery(node, { queryId: 'explain' } as never)
        const explain = postgres ? 'EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)' : 'EXPLAIN QUERY PLAN'
        const { rows } = await db.executeQuery<Record<string, unknown>>({ ...compiled, sql: `${explain} ${compiled.sql}` })
        const plan = rows.map((row) => (postgres ? String(row['QUERY PLAN']) : `${String(row.detail)}`))
        lines.push(`${name}: ${compiled.sql.replace(/\s+/g, ' ').slice(0, 160)}${compiled.sql.length > 160 ? '…' : ''}`)
        for (const line of plan.slice(0, MAX_PLAN_LINES)) lines.push(`    ${line}`)
        if (plan.length > MAX_PLAN_LINES) lines.push(`    … ${plan.length - MAX_PLAN_LINES} more plan lines`)
      }
    }
  } finally {
    await db.destroy()
  }
  return lines
}
