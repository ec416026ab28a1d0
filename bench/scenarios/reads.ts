/**
 * Figure 4 — read latency with 100,000 stored runs. 100 tasks and 100,000 finished runs are
 * seeded through the Store contract (store.tasks.insert; store.runs.insert + update in batches
 * of one transaction each), spread over the last 7 days; one task holds 20,000 of them. Then 200
 * sequential requests each (after 20 warm-up) of GET /api/tasks/<that task> and GET
 * /api/tasks/stats; p95 against 50 ms. The bound is the same requests on the same server before
 * seeding (the 100 tasks, no runs): HTTP, routing and serialisation with nothing to read.
 * On PostgreSQL the seeded table is VACUUM ANALYZEd before measuring, as autovacuum would have
 * done by then in a live database (right after 200,000 writes the index-only scans the stats use
 * still visit the heap); the stats latency before that VACUUM is shown too.
 */
import type { BenchContext } from '../lib/context.ts'
import type { HttpClient } from '../lib/http.ts'
import { progress, type Figure } from '../lib/report.ts'
import { startBenchServer, withPgClient } from '../lib/server.ts'
import { fmtSummary, ms, summarize, type Summary } from '../lib/stats.ts'
import { profiled } from '../lib/profiler.ts'
import type { RunStatus } from '../../server/src/domain/run.ts'
import type { Store } from '../../server/src/store/store.ts'

const TASKS = 100
const RUNS = 100_000
/** Every fifth run belongs to the big task: 20,000. */
const BIG_SHARE_EVERY = 5
const BATCH = 2_000
const REQUESTS = 200
const WARMUP = 20
const TARGET_P95_MS = 50
const DAY_MS = 86_400_000

export async function reads(ctx: BenchContext): Promise<Figure> {
  const bench = await startBenchServer({ root: ctx.root, name: 'reads', databaseUrl: ctx.databaseUrl })
  const release = ctx.defer(() => bench.close())
  let seedMs: number
  let bigRuns: number
  let emptyTask: Summary, emptyStats: Summary
  let bigTask: Summary, smallTask: Summary, stats: Summary, list: Summary
  let bigTaskBytes: number, statsBytes: number
  let statsBeforeVacuum: Summary | null = null
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

    progress('reads: bound (before seeding)')
    emptyTask = await timeGets(client, `/api/tasks/${big}`)
    emptyStats = await timeGets(client, '/api/tasks/stats')

    progress(`reads: seeding ${RUNS} runs over ${TASKS} tasks (${RUNS / BIG_SHARE_EVERY} on one)`)
    const t0 = performance.now()
    bigRuns = await seed(server.store, taskIds, now)
    seedMs = performance.now() - t0
    progress(`reads: seeded in ${ms(seedMs, 0)}`)
    if (bench.databaseUrl) {
      statsBeforeVacuum = await timeGets(client, '/api/tasks/stats', 50)
      progress('reads: VACUUM ANALYZE')
      await withPgClient(bench.databaseUrl, (c) => c.query('VACUUM (ANALYZE) runs, tasks'))
    }

    progress(`reads: ${REQUESTS} × GET /api/tasks/${big}, /api/tasks/stats, /api/tasks/${small}, /api/tasks`)
    bigTask = await profiled('reads-task', () => timeGets(client, `/api/tasks/${big}`))
    stats = await profiled('reads-stats', () => timeGets(client, '/api/tasks/stats'))
    smallTask = await timeGets(client, `/api/tasks/${small}`)
    list = await timeGets(client, '/api/tasks')
    bigTaskBytes = (await client.request('GET', `/api/tasks/${big}`)).text.length
    statsBytes = (await client.request('GET', '/api/tasks/stats')).text.length
  } finally {
    await release()
  }

  const worst = Math.max(bigTask.p95, stats.p95)
  return {
    name: 'reads @ 100k runs',
    value: `p95 GET /api/tasks/<big> ${ms(bigTask.p95)}, GET /api/tasks/stats ${ms(stats.p95)}`,
    bound: `same requests before seeding: p95 ${ms(emptyTask.p95)} and ${ms(emptyStats.p95)}`,
    target: `p95 ≤ ${TARGET_P95_MS} ms each`,
    pass: worst <= TARGET_P95_MS,
    details: [
      `seeding ${RUNS} runs (${bigRuns} on the big task) through the store: ${ms(seedMs, 0)}`,
      `GET /api/tasks/<big, ${bigRuns} runs>:  ${fmtSummary(bigTask)}, ${bigTaskBytes} bytes`,
      `GET /api/tasks/stats:               ${fmtSummary(stats)}, ${statsBytes} bytes`,
      `GET /api/tasks/<small, ~${Math.round((RUNS - bigRuns) / (TASKS - 1))} runs>: ${fmtSummary(smallTask)}`,
      `GET /api/tasks (list, ${TASKS} tasks):  ${fmtSummary(list)}`,
      ...(statsBeforeVacuum ? [`GET /api/tasks/stats right after seeding, before VACUUM: ${fmtSummary(statsBeforeVacuum)}`] : []),
      `before seeding: GET /api/tasks/<id> ${fmtSummary(emptyTask)}; stats ${fmtSummary(emptyStats)}`,
    ],
  }
}

async function timeGets(client: HttpClient, path: string, requests = REQUESTS): Promise<Summary> {
  const times: number[] = []
  for (let i = 0; i < WARMUP + requests; i++) {
    const t0 = performance.now()
    const res = await client.request('GET', path)
    const elapsed = performance.now() - t0
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text.slice(0, 300)}`)
    if (i >= WARMUP) times.push(elapsed)
  }
  return summarize(times)
}

/**
 * Finished runs in time order over the last 7 days; returns how many the first task got. One
 * transaction per batch; on PostgreSQL a few batches run side by side (SQLite has one connection,
 * where that would only queue them).
 */
async function seed(store: Store, taskIds: readonly number[], now: number): Promise<number> {
  const span = 7 * DAY_MS
  const others = taskIds.slice(1)
  const ownerOf = (k: number): number => (k % BIG_SHARE_EVERY === 0 ? taskIds[0]! : others[k % others.length]!)
  const batches = Array.from({ length: Math.ceil(RUNS / BATCH) }, (_, i) => i * BATCH)
  const seedBatch = (from: number): Promise<void> =>
    store.transaction(async (tx) => {
      for (let k = from; k < Math.min(RUNS, from + BATCH); k++) {
        const queuedAt = now - span + Math.floor((k * span) / RUNS)
        const startedAt = queuedAt + 3 + (k % 7)
        const durationMs = 50 + ((k * 7919) % 30_000)
        const roll = k % 100
        const status: RunStatus = roll < 90 ? 'completed' : roll < 98 ? 'failed' : 'abnormal'
        const run = await tx.runs.insert({ taskId: ownerOf(k), priority: 5, trigger: k % 3 === 0 ? 'manual' : 'schedule', queuedAt })
        await tx.runs.update(run.id, {
          status,
          startedAt,
          endedAt: startedAt + durationMs,
          exitCode: status === 'completed' ? 0 : status === 'failed' ? 1 : null,
          signal: status === 'abnormal' ? 'SIGKILL' : null,
          pid: 10_000 + (k % 50_000),
          workerId: 'bench-seed',
          peakRssBytes: 20_000_000 + (k % 1000) * 10_000,
          avgRssBytes: 15_000_000 + (k % 1000) * 5_000,
          error: status === 'abnormal' ? 'seeded abnormal run' : null,
        })
      }
    })
  const parallel = store.dialect === 'postgres' ? 4 : 1
  let next = 0
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < batches.length) await seedBatch(batches[next++]!)
    }),
  )
  let bigCount = 0
  for (let k = 0; k < RUNS; k++) if (ownerOf(k) === taskIds[0]) bigCount += 1
  return bigCount
}
