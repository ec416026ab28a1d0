/**
 * Every hot query keeps its index. SQLite's planner is deterministic for a given schema and
 * version, so the plans are checked here rather than timed: a query that silently stops using
 * its index (a parameter where the partial index needs a literal, a new predicate the planner
 * prefers) fails this test long before 100,000 runs make it slow.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { describe, it } from 'node:test'
import { Kysely, type CompiledQuery } from 'kysely'
import type { Database } from '../../src/store/database.ts'
import { kyselyStore } from '../../src/store/kysely-store.ts'
import { migrateToLatest } from '../../src/store/migrations/migrate-to-latest.ts'
import { NodeSqliteDialect } from '../../src/store/sqlite.ts'
import type { Store } from '../../src/store/store.ts'
import { newRun, newTask, T0 } from './store-fixtures.ts'

const DAY = 86_400_000
const hours = Array.from({ length: 3 }, (_, h) => ({ from: T0 + h * 3_600_000, to: T0 + (h + 1) * 3_600_000 }))
/** On whole hours: answered from the quarter-hour buckets (T0 itself is not on one). */
const H0 = T0 - (T0 % 3_600_000)
const wholeHours = hours.map((h) => ({ from: h.from - T0 + H0, to: h.to - T0 + H0 }))

/** Each store call, and the plan every one of its statements must have (all lines, joined by ' | '). */
const EXPECTED: [string, (store: Store) => Promise<unknown>, string[]][] = [
  ['tasks.findById', (s) => s.tasks.findById(1), ['SEARCH tasks USING INTEGER PRIMARY KEY (rowid=?)']],
  ['tasks.findByName', (s) => s.tasks.findByName('x'), ['SEARCH tasks USING INDEX tasks_name_unique (name=?)']],
  // 'scheduled' and 'running' (issue 8): the due tasks, few, are sorted.
  [
    'tasks.listDue',
    (s) => s.tasks.listDue(T0),
    ['SEARCH tasks USING INDEX tasks_due (status=? AND schedule_enabled=? AND next_run_at<?) | USE TEMP B-TREE FOR ORDER BY'],
  ],
  ['tasks.nextDueAt', (s) => s.tasks.nextDueAt(), ['SEARCH tasks USING COVERING INDEX tasks_due (status=? AND schedule_enabled=?)']],
  ['tasks.listUpcoming', (s) => s.tasks.listUpcoming(5), ['SEARCH tasks USING INDEX tasks_due (status=? AND schedule_enabled=? AND next_run_at>?)']],
  ['runs.findById', (s) => s.runs.findById(1), ['SEARCH runs USING INTEGER PRIMARY KEY (rowid=?)']],
  [
    'runs.claimNext',
    (s) => s.runs.claimNext('w', T0),
    // Each queued candidate's task by its key, and its environment's build in progress by the partial index.
    [
      // Issue 8: the task's busy runs through the partial index runs_active, never its finished ones.
      'SEARCH runs USING INTEGER PRIMARY KEY (rowid=?) | SCALAR SUBQUERY 3 | SEARCH runs USING INDEX runs_claim (status=?) | CORRELATED SCALAR SUBQUERY 1 | SEARCH tasks USING INTEGER PRIMARY KEY (rowid=?) | SEARCH environment_builds USING INDEX environment_builds_one_in_progress (env_name=?) | CORRELATED SCALAR SUBQUERY 2 | SEARCH own USING INTEGER PRIMARY KEY (rowid=?) | SEARCH busy USING INDEX runs_active (task_id=?)',
    ],
  ],
  ['runs.listForTask', (s) => s.runs.listForTask(1, 20), ['SEARCH runs USING INDEX runs_task_id_id (task_id=?)']],
  ['runs.listBriefForTask', (s) => s.runs.listBriefForTask(1, 1000), ['SEARCH runs USING INDEX runs_task_id_id (task_id=?)']],
  // The task's finished runs from its totals; its active run (at most one) live.
  [
    'runs.countForTask',
    (s) => s.runs.countForTask(1),
    [
      'SCAN CONSTANT ROW | SCALAR SUBQUERY 1 | SEARCH run_totals USING INDEX sqlite_autoindex_run_totals_1 (task_id=?) | SCALAR SUBQUERY 2 | SEARCH runs USING INDEX runs_active (task_id=?)',
    ],
  ],
  ['runs.findActiveForTask', (s) => s.runs.findActiveForTask(1), ['SEARCH runs USING INDEX runs_active (task_id=?)']],
  // Sorts only the active runs, which are few.
  ['runs.listActive', (s) => s.runs.listActive(), ['SEARCH runs USING INDEX runs_claim (status=?) | USE TEMP B-TREE FOR ORDER BY']],
  // All-time aggregates read the summaries (a row per task and finished status) and the active runs.
  [
    'runs.countByStatus',
    (s) => s.runs.countByStatus(),
    [
      'COMPOUND QUERY | LEFT-MOST SUBQUERY | SCAN run_totals | USE TEMP B-TREE FOR GROUP BY | UNION ALL | SEARCH runs USING COVERING INDEX runs_claim (status=?)',
    ],
  ],
  [
    'runs.durationStats',
    (s) => s.runs.durationStats(),
    ['CO-ROUTINE parts | COMPOUND QUERY | LEFT-MOST SUBQUERY | SCAN run_totals | UNION ALL | SEARCH runs USING INDEX runs_claim (status=?) | SCAN parts'],
  ],
  // Whole hours: the buckets of finished runs, and the active runs counted live.
  [
    'runs.countInRanges (hours)',
    (s) => s.runs.countInRanges('startedAt', wholeHours.slice(0, 1)),
    [
      'SCAN CONSTANT ROW | SCALAR SUBQUERY 1 | SEARCH run_buckets USING INDEX sqlite_autoindex_run_buckets_1 (at>? AND at<?) | SCALAR SUBQUERY 2 | SEARCH runs USING INDEX runs_claim (status=?)',
    ],
  ],
  [
    'runs.countInRanges (hours, finished)',
    (s) => s.runs.countInRanges('endedAt', wholeHours.slice(0, 1), ['completed']),
    ['SCAN CONSTANT ROW | SCALAR SUBQUERY 1 | SEARCH run_buckets USING INDEX sqlite_autoindex_run_buckets_1 (at>? AND at<?)'],
  ],
  // Off the quarter hours: the slice of the (time, status) index.
  [
    'runs.countInRanges',
    (s) => s.runs.countInRanges('startedAt', hours.slice(0, 2), ['completed']),
    [
      'SCAN CONSTANT ROW | SCALAR SUBQUERY 1 | SEARCH runs USING COVERING INDEX runs_started_at (started_at>? AND started_at<?) | SCALAR SUBQUERY 2 | SEARCH runs USING COVERING INDEX runs_started_at (started_at>? AND started_at<?)',
    ],
  ],
  [
    'runs.listHistory',
    (s) => s.runs.listHistory(T0 - DAY, 50),
    // In index order, (started_at, id): nothing is sorted, the scan stops at the limit.
    ['SEARCH runs USING INDEX runs_started_at_id (started_at>?) | SEARCH tasks USING INTEGER PRIMARY KEY (rowid=?)'],
  ],
  [
    'systemSamples.averageMemoryInRanges',
    (s) => s.systemSamples.averageMemoryInRanges(hours.slice(0, 1)),
    ['SCAN CONSTANT ROW | SCALAR SUBQUERY 1 | SEARCH system_samples USING COVERING INDEX system_samples_at (at>? AND at<?)'],
  ],
  ['systemSamples.prune', (s) => s.systemSamples.prune(T0), ['SEARCH system_samples USING INDEX system_samples_at (at<?)']],
]

describe('sqlite: query plans', () => {
  it('reads every hot query through its index', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-plans-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const raw = new DatabaseSync(path.join(dir, 'plans.db'))
    const executed: CompiledQuery[] = []
    const db = new Kysely<Database>({
      dialect: new NodeSqliteDialect(raw),
      log: (event) => {
        if (event.level === 'query') executed.push(event.query)
      },
    })
    await migrateToLatest(db, 'sqlite')
    const store = kyselyStore(db, 'sqlite')
    t.after(() => store.close())
    const task = await store.tasks.insert(newTask())
    await store.runs.insert(newRun(task.id))

    const plans: Record<string, string[]> = {}
    for (const [name, call] of EXPECTED) {
      executed.length = 0
      await call(store)
      plans[name] = executed.map((query) =>
        raw
          .prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
          .all(...(query.parameters as never[]))
          .map((row) => row.detail)
          .join(' | '),
      )
    }
    assert.deepEqual(plans, Object.fromEntries(EXPECTED.map(([name, , plan]) => [name, plan])))
  })
})
