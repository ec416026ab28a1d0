/**
 * Figure 6 — an idle server costs nothing: its CPU (the process's user + system time, which here
 * is the server's: the bench in the same process does nothing meanwhile) over a 20 s window,
 * after a settle time, with 0 tasks and then with 10,000 cron tasks, against 1 % of one core
 * each; RSS reported. The 10,000 tasks are inserted through the Store (yearly schedules: none is
 * due in the window), then the server is restarted on the same database, so its scheduler and
 * everything else start up with them as a real installation would.
 */
import type { BenchContext } from '../lib/context.ts'
import { progress, type Figure } from '../lib/report.ts'
import { startBenchServer } from '../lib/server.ts'
import { ms } from '../lib/stats.ts'

const CRON_TASKS = 10_000
const SETTLE_MS = 3_000
const WINDOW_MS = 20_000
const TARGET_CPU_PERCENT = 1
const BATCH = 1_000
const MiB = 1024 * 1024

interface Idle {
  cpuPercent: number
  cpuMs: number
  rssMiB: number
}

async function measureIdle(): Promise<Idle> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS))
  const used = process.cpuUsage(cpu0)
  const elapsed = performance.now() - t0
  const cpuMs = (used.user + used.system) / 1000
  return { cpuPercent: (cpuMs / elapsed) * 100, cpuMs, rssMiB: process.memoryUsage().rss / MiB }
}

export async function idle(ctx: BenchContext): Promise<Figure> {
  const bench = await startBenchServer({ root: ctx.root, name: 'idle', databaseUrl: ctx.databaseUrl })
  const release = ctx.defer(() => bench.close())
  let empty: Idle, loaded: Idle
  let seedMs: number
  try {
    progress(`idle: 0 tasks, ${ms(SETTLE_MS, 0)} settle + ${ms(WINDOW_MS, 0)} window`)
    empty = await measureIdle()
    progress(`idle: inserting ${CRON_TASKS} cron tasks, restarting`)
    const now = new Date()
    // '0 0 1 1 *': midnight on 1 January, local time, as the scheduler computes it.
    const nextRunAt = new Date(now.getFullYear() + 1, 0, 1).getTime()
    const t0 = performance.now()
    for (let from = 0; from < CRON_TASKS; from += BATCH) {
      await bench.server.store.transaction(async (tx) => {
        for (let i = from; i < Math.min(CRON_TASKS, from + BATCH); i++) {
          await tx.tasks.insert({
            name: `cron-${i}`,
            source: 'file',
            scriptFile: 'job.sh',
            command: 'sh -c true',
            condaEnv: 'base',
            requirements: null,
            cronExpression: '0 0 1 1 *',
            delaySeconds: null,
            priority: 5,
            status: 'scheduled',
            createdAt: now.getTime(),
            updatedAt: now.getTime(),
            nextRunAt,
            ownerId: null,
          })
        }
      })
    }
    seedMs = performance.now() - t0
    await bench.restart()
    const list = await bench.client.request('GET', '/api/tasks')
    if (list.status !== 200 || (JSON.parse(list.text) as unknown[]).length !== CRON_TASKS) throw new Error(`GET /api/tasks after restart: ${list.status}`)
    progress(`idle: ${CRON_TASKS} cron tasks, ${ms(SETTLE_MS, 0)} settle + ${ms(WINDOW_MS, 0)} window`)
    loaded = await measureIdle()
  } finally {
    await release()
  }
  const fmt = (i: Idle): string => `${i.cpuPercent.toFixed(3)} % of a core (${ms(i.cpuMs, 1)} CPU in ${ms(WINDOW_MS, 0)}), RSS ${i.rssMiB.toFixed(0)} MiB`
  return {
    name: 'idle',
    value: `CPU ${empty.cpuPercent.toFixed(3)} % with 0 tasks, ${loaded.cpuPercent.toFixed(3)} % with ${CRON_TASKS} cron tasks`,
    bound: `1 core over the same ${ms(WINDOW_MS, 0)} window`,
    target: `< ${TARGET_CPU_PERCENT} % of a core each (RSS reported)`,
    pass: Math.max(empty.cpuPercent, loaded.cpuPercent) < TARGET_CPU_PERCENT,
    details: [
      `0 tasks: ${fmt(empty)}`,
      `${CRON_TASKS} cron tasks ('0 0 1 1 *', inserted through the store in ${ms(seedMs, 0)}, then a restart): ${fmt(loaded)}`,
      'RSS is the whole bench process: the server and the (idle) bench client',
    ],
  }
}
