/**
 * Figure 6 of docs/benchmarks.md — the scheduler under load (issue 8 "Speed"). TASKYARD_BENCH_CRON_TASKS cron tasks
 * (default 10,000) are registered through the Store, TASKYARD_BENCH_DUE_TASKS of them (default
 * 1,000) due in the same second T, the rest yearly; then the server restarts on that database.
 * Three figures, each against its bound:
 * - idle CPU of the process (the server runs in it) over a 10 s window before T: < 1 % of a core;
 * - at T, every due run is queued within 1 s of its time (the moment its fire's transaction
 *   committed, seen on the event bus, − its scheduled time); when each started is reported
 *   (they start behind max_workers);
 * - then a per-second cron (`* * * * * *`) for 30 s: p99 of recorded_at − scheduled time ≤ 20 ms.
 * The runs are `true`; nothing else happens on the server meanwhile.
 */
import type { BenchContext } from '../lib/context.ts'
import { progress, type Figure } from '../lib/report.ts'
import { startBenchServer } from '../lib/server.ts'
import { ms, quantile } from '../lib/stats.ts'

const CRON_TASKS = Number(process.env.TASKYARD_BENCH_CRON_TASKS ?? 10_000)
const DUE_TASKS = Number(process.env.TASKYARD_BENCH_DUE_TASKS ?? 1_000)
const IDLE_WINDOW_MS = 10_000
const PER_SECOND_WINDOW_MS = 30_000
const BATCH = 1_000

const sleep = (msToWait: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, msToWait))

export async function scheduler(ctx: BenchContext): Promise<Figure> {
  const bench = await startBenchServer({ root: ctx.root, name: 'scheduler', databaseUrl: ctx.databaseUrl })
  const release = ctx.defer(() => bench.close())
  try {
    const now = Date.now()
    const yearly = new Date(new Date(now).getFullYear() + 1, 0, 1).getTime()
    // T: a whole second far enough ahead for the seeding, the restart and the idle window.
    const seedBudgetMs = 8_000 + CRON_TASKS * 2
    const dueAt = Math.ceil((now + seedBudgetMs + IDLE_WINDOW_MS + 3_000) / 1000) * 1000
    const d = new Date(dueAt)
    const dueCron = `${d.getSeconds()} ${d.getMinutes()} ${d.getHours()} ${d.getDate()} ${d.getMonth() + 1} *`
    progress(`scheduler: ${CRON_TASKS} cron tasks, ${DUE_TASKS} due at ${d.toISOString()}`)
    const dueIds: number[] = []
    for (let from = 0; from < CRON_TASKS; from += BATCH) {
      await bench.server.store.transaction(async (tx) => {
        for (let i = from; i < Math.min(CRON_TASKS, from + BATCH); i++) {
          const due = i < DUE_TASKS
          const task = await tx.tasks.insert({
            name: `cron-${i}`,
            source: 'file',
            scriptFile: 'job.sh',
            command: 'true',
            condaEnv: 'base',
            requirements: null,
            cronExpression: due ? dueCron : '0 0 1 1 *',
            delaySeconds: null,
            priority: 5,
            status: 'scheduled',
            createdAt: now,
            updatedAt: now,
            nextRunAt: due ? dueAt : yearly,
            ownerId: null,
          })
          if (due) dueIds.push(task.id)
        }
      })
    }
    await bench.restart()
    const idleStart = dueAt - IDLE_WINDOW_MS - 500
    if (Date.now() > idleStart) throw new Error('seeding took longer than planned; lower TASKYARD_BENCH_CRON_TASKS')
    await sleep(idleStart - Date.now())
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await sleep(IDLE_WINDOW_MS)
    const used = process.cpuUsage(cpu0)
    const idleCpuPercent = ((used.user + used.system) / 1000 / (performance.now() - t0)) * 100

    // When each due task's fire committed: the scheduler announces it after its transaction.
    const committedAt = new Map<number, number>()
    const due = new Set(dueIds)
    const off = bench.server.bus.on('task:changed', ({ taskId }) => {
      if (due.has(taskId) && !committedAt.has(taskId)) committedAt.set(taskId, Date.now())
    })
    progress(`scheduler: waiting for the ${DUE_TASKS} runs due at T`)
    const store = bench.server.store
    const deadline = Date.now() + 120_000
    for (;;) {
      const started = await Promise.all(dueIds.map((id) => store.runs.listForTask(id, 1)))
      if (started.every(([r]) => r && r.status !== 'queued' && r.status !== 'running')) break
      if (Date.now() > deadline) throw new Error('the due runs did not all finish within 2 minutes')
      await sleep(500)
    }
    const queuedLate: number[] = []
    const startLate: number[] = []
    for (const id of dueIds) {
      const [slot] = await store.scheduleSlots.listForTask(id, 1)
      const [run] = await store.runs.listForTask(id, 1)
      if (!slot || slot.slotAt !== dueAt || !run?.startedAt) throw new Error(`task ${id}: no run for T`)
      const committed = committedAt.get(id)
      if (committed === undefined) throw new Error(`task ${id}: its fire was not announced`)
      queuedLate.push(committed - slot.slotAt)
      startLate.push(run.startedAt - slot.slotAt)
    }

    off()
    progress(`scheduler: a per-second cron for ${PER_SECOND_WINDOW_MS / 1000} s`)
    const perSecond = await store.tasks.insert({
      name: 'every-second',
      source: 'file',
      scriptFile: 'job.sh',
      command: 'true',
      condaEnv: 'base',
      requirements: null,
      cronExpression: '* * * * * *',
      delaySeconds: null,
      priority: 5,
      status: 'scheduled',
      createdAt: Date.now(),
      updatedAt: Date.now(),
      nextRunAt: Math.ceil((Date.now() + 1000) / 1000) * 1000,
      ownerId: null,
    })
    bench.server.services.wakeScheduler()
    await sleep(PER_SECOND_WINDOW_MS)
    const slots = await store.scheduleSlots.listForTask(perSecond.id, 1_000)
    const fired = slots.filter((s) => s.outcome === 'fired').map((s) => s.recordedAt - s.slotAt)
    const skipped = slots.length - fired.length
    const p99 = quantile(fired, 0.99)
    const maxQueued = Math.max(...queuedLate)
    const pass = idleCpuPercent < 1 && maxQueued <= 1_000 && p99 <= 20
    return {
      name: 'scheduler',
      value: `idle CPU ${idleCpuPercent.toFixed(3)} %; ${DUE_TASKS} due at once queued within ${ms(maxQueued, 0)} (max); per-second cron lateness p99 ${ms(p99, 1)}`,
      bound: '1 core; 1 s after the scheduled time; 20 ms',
      target: 'idle < 1 % of a core, every due run queued ≤ 1 s late, p99 ≤ 20 ms',
      pass,
      details: [
        `${CRON_TASKS} cron tasks registered, ${DUE_TASKS} due at the same second`,
        `queued lateness: p50 ${ms(quantile(queuedLate, 0.5), 0)}, max ${ms(maxQueued, 0)}`,
        `start lateness (behind max_workers): p50 ${ms(quantile(startLate, 0.5), 0)}, max ${ms(Math.max(...startLate), 0)}`,
        `per-second cron: ${fired.length} fired, ${skipped} skipped (a run still live), lateness p50 ${ms(quantile(fired, 0.5), 1)}, p99 ${ms(p99, 1)}, max ${ms(Math.max(...fired), 1)}`,
      ],
    }
  } finally {
    await release()
  }
}
