/**
 * Figure 1 — throughput. 500 tasks created through POST /api/tasks (command `sh -c true`, no
 * schedule: each runs at once) with 8 requests in flight, timed from the first request to the
 * last 'run:finished'. The bound: a bare Node spawn loop of the very argv the executor spawns
 * (`/bin/sh -c 'sh -c true'`), 8 in flight, each child set up like a run (detached, stdin a pipe,
 * stdout+stderr a new O_APPEND file), in a fresh Node process, once before and once after the
 * server's turn; the faster counts. The same loop inside this process (whose RSS is the server's,
 * so each fork costs more) is shown too.
 */
import path from 'node:path'
import { createTask } from '../lib/http.ts'
import type { BenchContext } from '../lib/context.ts'
import { inFreshProcess, spawnLoop } from '../lib/baseline.ts'
import { cpuSince, treeCpu, type CpuTimes } from '../lib/cpu.ts'
import { collectGarbage, rssMiB } from '../lib/gc.ts'
import { profiled } from '../lib/profiler.ts'
import { progress, type Figure } from '../lib/report.ts'
import { awaitRunsFinished, startBenchServer } from '../lib/server.ts'
import { mib, ms, summarize } from '../lib/stats.ts'

const RUNS = 500
const CONCURRENCY = 8
const WARMUP = 20
const COMMAND = 'sh -c true'
/** What the executor spawns for that command. */
const ARGV = ['/bin/sh', '-c', COMMAND]
const TARGET = 0.7
/** Issue 10, target 2: CPU of the server and its helpers per trivial run. */
const CPU_TARGET_MS = 2

export async function throughput(ctx: BenchContext): Promise<Figure> {
  const bareRequest = { mode: 'loop', dir: path.join(ctx.root, 'bare-loop'), argv: ARGV, count: RUNS, concurrency: CONCURRENCY, warmup: WARMUP } as const
  progress(`throughput: bare spawn loop in a fresh process (${RUNS} × ${ARGV.join(' ')}, ${CONCURRENCY} in flight)`)
  const bareBefore = await inFreshProcess<{ ms: number; rssBytes: number; cpu: CpuTimes }>(bareRequest)
  progress('throughput: the same loop in this process')
  collectGarbage()
  await spawnLoop(path.join(ctx.root, 'loop-warmup'), ARGV, WARMUP, CONCURRENCY)
  const rssInProcess = rssMiB()
  const inProcess = await spawnLoop(path.join(ctx.root, 'loop'), ARGV, RUNS, CONCURRENCY)

  const bench = await startBenchServer({ root: ctx.root, name: 'server', databaseUrl: ctx.databaseUrl })
  const release = ctx.defer(() => bench.close())
  let taskyardMs: number
  let postsMs = 0
  let postLatencies: number[] = []
  let statuses: Map<string, number>
  let elu: number
  let rssTaskyard: string
  let cpu: CpuTimes
  try {
    const { server, client } = bench
    const createMany = async (count: number, prefix: string): Promise<number[]> => {
      const latencies: number[] = []
      let next = 0
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < count) {
            const i = next++
            const s = performance.now()
            await createTask(client, { task_name: `${prefix}-${i}`, command: COMMAND })
            latencies.push(performance.now() - s)
          }
        }),
      )
      return latencies
    }

    progress(`throughput: warm-up (${WARMUP} tasks)`)
    const warm = awaitRunsFinished(server, WARMUP, 60_000)
    await createMany(WARMUP, 'warmup')
    await warm.done

    progress(`throughput: ${RUNS} × POST /api/tasks, ${CONCURRENCY} in flight`)
    collectGarbage()
    rssTaskyard = rssMiB()
    const finished = awaitRunsFinished(server, RUNS, 300_000)
    const elu0 = performance.eventLoopUtilization()
    const cpu0 = treeCpu()
    const t0 = performance.now()
    const end = await profiled('throughput', async () => {
      postLatencies = await createMany(RUNS, 'task')
      postsMs = performance.now() - t0
      return finished.done
    })
    cpu = cpuSince(cpu0)
    elu = performance.eventLoopUtilization(elu0).utilization
    taskyardMs = end.at - t0
    statuses = end.statuses
  } finally {
    await release()
  }

  progress('throughput: bare spawn loop in a fresh process again')
  const bareAfter = await inFreshProcess<{ ms: number; rssBytes: number; cpu: CpuTimes }>(bareRequest)
  const bare = Math.min(bareBefore.ms, bareAfter.ms)
  const ratio = bare / taskyardMs
  const completed = statuses.get('completed') ?? 0
  const post = summarize(postLatencies)
  // The commands' own CPU is what the bare loop's children used; what Taskyard's children used
  // beyond it is its helpers' (find/chown, unshare, setpriv, the output copier, the runner).
  const bareCpu = bareBefore.ms <= bareAfter.ms ? bareBefore.cpu : bareAfter.cpu
  const perRun = (x: number): number => x / RUNS
  const commandsMs = perRun(bareCpu.childrenMs)
  const serverCpuMs = perRun(cpu.selfMs) + Math.max(0, perRun(cpu.childrenMs) - commandsMs)
  const perSecond = (t: number): string => `${(RUNS / (t / 1000)).toFixed(0)}/s`
  return {
    name: 'throughput (500 runs)',
    value: `ratio ${ratio.toFixed(3)} (taskyard ${ms(taskyardMs, 0)}, ${perSecond(taskyardMs)})`,
    bound: `bare spawn loop ${ms(bare, 0)}, ${perSecond(bare)}`,
    target: `ratio ≥ ${TARGET}`,
    pass: ratio >= TARGET && completed === RUNS,
    details: [
      `bare loop in a fresh process (RSS ${mib(bareBefore.rssBytes, 0)}): before ${ms(bareBefore.ms, 0)}, after ${ms(bareAfter.ms, 0)}; the faster is the bound`,
      `the same loop in the bench process (RSS ${rssInProcess}, as big as the server's): ${ms(inProcess, 0)} (ratio against it ${(inProcess / taskyardMs).toFixed(3)})`,
      `all ${RUNS} POSTs answered after ${ms(postsMs, 0)}; the last run finished ${ms(taskyardMs - postsMs, 0)} later`,
      `POST /api/tasks latency, ${CONCURRENCY} in flight: p50 ${ms(post.p50, 1)}, p99 ${ms(post.p99, 1)}`,
      `event loop busy ${(elu * 100).toFixed(0)}% of the taskyard phase (RSS ${rssTaskyard} at its start, after GC)`,
      `CPU per run: server + helpers ${ms(serverCpuMs, 2)} (target ≤ ${CPU_TARGET_MS} ms -> ${serverCpuMs <= CPU_TARGET_MS ? 'PASS' : 'FAIL'}; the scenario process ${ms(perRun(cpu.selfMs), 2)}, bench client included, its children ${ms(perRun(cpu.childrenMs), 2)} minus the commands' own ${ms(commandsMs, 2)}); bare loop ${ms(perRun(bareCpu.selfMs), 2)} per spawn in the spawning process, ${ms(commandsMs, 2)} in its children`,
      `run statuses: ${[...statuses].map(([s, n]) => `${s} ${n}`).join(', ')}`,
    ],
  }
}
