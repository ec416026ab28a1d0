/**
 * Figure 4 — read latency with 1,000,000 stored runs (issue 10). 100 tasks and 1,000,000
 * finished runs are seeded through the Store contract (store.tasks.insert; store.runs.importMany,
 * 20,000 runs a transaction), spread over the last 7 days; one task holds
 * 200,000 of them. Then 200 sequential requests each (after 20 warm-up) of GET /api/tasks/<that
 * task>, its last 1,000 runs (?history_limit=1000), its executions page (/executions?page=50), GET /api/tasks/stats, GET /api/tasks/history
 * and the task list; p95 against 20 ms each. The bound is the same requests on the same server
 * before seeding (the 100 tasks, no runs): HTTP, routing and serialisation with nothing to read.
 * On PostgreSQL the seeded table is VACUUM ANALYZEd before measuring, as autovacuum would have
 * done by then in a live database (right after 200,000 writes the index-only scans the stats use
 * still visit the heap); the stats latency before that VACUUM is shown too.
 */
import path from 'node:path'
import type { BenchContext } from '../lib/context.ts'
import { explainReads, readCalls } from '../lib/explain-reads.ts'
import type { HttpClient } from '../lib/http.ts'
import { progress, type Figure } from '../lib/report.ts'
import { startBenchServer, withPgClient } from '../lib/server.ts'
import { fmtSummary, ms, summarize, type Summary } from '../lib/stats.ts'
import { profiled } from '../lib/profiler.ts'
import type { Run, RunStatus } from '../../server/src/domain/run.ts'
import type { Store } from '../../server/src/store/store.ts'

const TASKS = 100
const TARGET_RUNS = 1_000_000
/**
 * TASKYARD_BENCH_READS_RUNS seeds fewer (a quick look; seeding 1,000,000 runs through the store
 * takes many minutes): the figure then names its count and gives no verdict.
 */
const RUNS = Number(process.env.TASKYARD_BENCH_READS_RUNS ?? TARGET_RUNS)
/** Every fifth run belongs to the big task: 200,000. */
const BIG_SHARE_EVERY = 5
/** Runs per importMany transaction. */
const BATCH = 20_000
const REQUESTS = 200
const WARMUP = 20
const TARGET_P95_MS = 20
const DAY_MS = 86_400_000

export async function reads(ctx: BenchContext): Promise<Figure> {
  const bench = await startBenchServer({ root: ctx.root, name: 'reads', databaseUrl: ctx.databaseUrl })
  const release = ctx.defer(() => bench.close())
  let seedMs: number
  let bigRuns: number
  let before: Map<string, Timed>
  const after = new Map<string, Timed>()
  let smallTask: Timed
  const bytes = new Map<string, number>()
  let statsBeforeVacuum: Timed | null = null
  let paths: [string, string][]
  try {
    const { server, client } = bench
    const now = Date.now()
    const taskIds: number[] = []
    for (let i = 0; i < TASKS; i++) {
      const task = await server.store.tasks.insert({
        name: `seeded-${i}`,
        source: 'file',
        scriptFile: 'job.sh',
        command: 'sh -c true',
        condaEnv: 'base',
        requirements: null,
        cronExpression: null,
        delaySeconds: null,
        priority: 5,
        status: 'completed',
        createdAt: now - 8 * DAY_MS,
        updatedAt: now - 8 * DAY_MS,
        nextRunAt: null,
        ownerId: null,
      })
      taskIds.push(task.id)
    }
    const big = taskIds[0]!
    const small = taskIds[1]!
    paths = [
      ['task', `/api/tasks/${big}`],
      ['executions', `/api/tasks/${big}?history_limit=1000`],
      // A task's executions page (spec 001's page/page_size, the default 10 a page), deep in the history.
      ['executions-page', `/api/tasks/${big}/executions?page=50`],
      ['stats', '/api/tasks/stats'],
      ['history', '/api/tasks/history'],
      ['list', '/api/tasks'],
    ]

    progress('reads: bound (before seeding)')
    before = new Map()
    for (const [key, url] of paths) before.set(key, await timeGets(client, url))

    progress(`reads: seeding ${RUNS} runs over ${TASKS} tasks (${RUNS / BIG_SHARE_EVERY} on one)`)
    const t0 = performance.now()
    bigRuns = await seed(server.store, taskIds, now)
    seedMs = performance.now() - t0
    progress(`reads: seeded in ${ms(seedMs, 0)}`)
    client.reconnect()
    if (bench.databaseUrl) {
      statsBeforeVacuum = await timeGets(client, '/api/tasks/stats', 50)
      progress('reads: VACUUM ANALYZE')
      await withPgClient(bench.databaseUrl, (c) => c.query('VACUUM (ANALYZE) runs, tasks, run_totals, run_buckets'))
    }

    const databaseUrl = bench.databaseUrl ?? `sqlite:${path.join(bench.dataDir, 'taskyard.db')}`
    for (const line of await explainReads(databaseUrl, readCalls(big, Date.now()))) progress(`plan ${line}`)

    progress(`reads: ${REQUESTS} × ${paths.map(([, url]) => url).join(', ')}`)
    for (const [key, url] of paths) {
      after.set(key, await profiled(`reads-${key}`, () => timeGets(client, url)))
      bytes.set(key, (await client.request('GET', url)).text.length)
    }
    smallTask = await timeGets(client, `/api/tasks/${small}`)
  } finally {
    await release()
  }

  const p95 = (m: Map<string, Summary>, key: string): string => ms(m.get(key)!.p95)
  const worst = Math.max(...[...after.values()].map((summary) => summary.p95))
  return {
    name: `reads @ ${RUNS / 1000}k runs`,
    value: paths.map(([key]) => `${key} p95 ${p95(after, key)}`).join(', '),
    bound: `same requests before seeding: p95 ${paths.map(([key]) => p95(before, key)).join(', ')}`,
    target: `p95 ≤ ${TARGET_P95_MS} ms each`,
    pass: worst <= TARGET_P95_MS && RUNS >= TARGET_RUNS,
    details: [
      ...(RUNS < TARGET_RUNS ? [`only ${RUNS} runs seeded (TASKYARD_BENCH_READS_RUNS): the target is at ${TARGET_RUNS}, so no PASS`] : []),
      `seeding ${RUNS} runs (${bigRuns} on the big task) through the store: ${ms(seedMs, 0)}`,
      ...paths.map(([key, url]) => `GET ${url} (${key}): ${fmtTimed(after.get(key)!)}, ${bytes.get(key)} bytes`),
      `GET /api/tasks/<small, ~${Math.round((RUNS - bigRuns) / (TASKS - 1))} runs>: ${fmtTimed(smallTask)}`,
      ...(statsBeforeVacuum ? [`GET /api/tasks/stats right after seeding, before VACUUM: ${fmtSummary(statsBeforeVacuum)}`] : []),
      ...paths.map(([key]) => `before seeding, ${key}: ${fmtTimed(before.get(key)!)}`),
    ],
  }
}

/** Latencies, and the CPU this process (the server and the bench client) used per request. */
interface Timed extends Summary {
  cpuMs: number
}

async function timeGets(client: HttpClient, path: string, requests = REQUESTS): Promise<Timed> {
  const times: number[] = []
  let cpu0 = process.cpuUsage()
  for (let i = 0; i < WARMUP + requests; i++) {
    if (i === WARMUP) cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const res = await client.request('GET', path)
    const elapsed = performance.now() - t0
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text.slice(0, 300)}`)
    if (i >= WARMUP) times.push(elapsed)
  }
  const cpu = process.cpuUsage(cpu0)
  return { ...summarize(times), cpuMs: (cpu.user + cpu.system) / 1000 / requests }
}

/** A figure's line: latencies, then CPU per request. */
const fmtTimed = (t: Timed): string => `${fmtSummary(t)}, CPU ${ms(t.cpuMs, 2)} a request`

/**
 * Finished runs in time order over the last 7 days, through runs.importMany (multi-row inserts,
 * summaries added set-wise); returns how many the first task got. One transaction per batch.
 */
async function seed(store: Store, taskIds: readonly number[], now: number): Promise<number> {
  const span = 7 * DAY_MS
  const others = taskIds.slice(1)
  const ownerOf = (k: number): number => (k % BIG_SHARE_EVERY === 0 ? taskIds[0]! : others[k % others.length]!)
  let bigCount = 0
  for (let from = 0; from < RUNS; from += BATCH) {
    const batch: Omit<Run, 'id'>[] = []
    for (let k = from; k < Math.min(RUNS, from + BATCH); k++) {
      const queuedAt = now - span + Math.floor((k * span) / RUNS)
      const startedAt = queuedAt + 3 + (k % 7)
      const durationMs = 50 + ((k * 7919) % 30_000)
      const roll = k % 100
      const status: RunStatus = roll < 90 ? 'completed' : roll < 98 ? 'failed' : 'abnormal'
      const taskId = ownerOf(k)
      if (taskId === taskIds[0]) bigCount += 1
      batch.push({
        taskId,
        status,
        priority: 5,
        trigger: k % 3 === 0 ? 'manual' : 'schedule',
        queuedAt,
        startedAt,
        endedAt: startedAt + durationMs,
        exitCode: status === 'completed' ? 0 : status === 'failed' ? 1 : null,
        signal: status === 'abnormal' ? 'SIGKILL' : null,
        pid: 10_000 + (k % 50_000),
        workerId: 'bench-seed',
        peakRssBytes: 20_000_000 + (k % 1000) * 10_000,
        avgRssBytes: 15_000_000 + (k % 1000) * 5_000,
        error: status === 'abnormal' ? 'seeded abnormal run' : null,
        outputTruncated: false,
        pauseReason: null,
        pausedBy: null,
        resumeReason: null,
        resumedBy: null,
        stopReason: null,
        stoppedBy: null,
        attempt: 1,
        firstRunId: null,
        notBefore: null,
        retryOf: null,
        requestedAction: null,
      })
    }
    await store.transaction((tx) => tx.runs.importMany(batch))
  }
  return bigCount
}
