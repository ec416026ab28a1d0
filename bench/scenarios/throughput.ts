/**
 * Figure 1 — throughput, and the server's CPU per run (issue 10, targets 1 and 2). 500 tasks
 * created through POST /api/tasks (command `sh -c true`, no schedule: each runs at once) with 8
 * requests in flight, timed from the first request to the last 'run:finished'; then the same 500
 * tasks triggered once each (POST /api/tasks/:id/trigger), timed the same way. The bound: a bare
 * Node spawn loop of the very argv the executor spawns (`/bin/sh -c 'sh -c true'`), 8 in flight,
 * each child set up like a run (detached, stdin a pipe, stdout+stderr a new O_APPEND file), in a
 * fresh Node process, once before and once after the server's turn; the faster counts. The same
 * loop inside this process (whose RSS is the server's, so each fork costs more) is shown too.
 *
 * CPU per run: the HTTP client runs in a process of its own (lib/load-client.ts), so this process
 * is the server alone; its CPU plus its descendants' (the runner, helpers, copiers, the commands,
 * the client), minus the client's own and minus the commands' (what the bare loop's children
 * used), divided by the runs.
 */
import path from 'node:path'
import type { BenchContext } from '../lib/context.ts'
import { inFreshProcess, spawnLoop } from '../lib/baseline.ts'
import { cpuSince, treeCpu, type CpuTimes } from '../lib/cpu.ts'
import { collectGarbage, rssMiB } from '../lib/gc.ts'
import { startLoadClient, type LoadClient, type LoadRequest } from '../lib/load-client.ts'
import { profiled } from '../lib/profiler.ts'
import { progress, type Figure } from '../lib/report.ts'
import { awaitRunsFinished, startBenchServer, type BenchServer } from '../lib/server.ts'
import { mib, ms, summarize } from '../lib/stats.ts'

const RUNS = 500
const CONCURRENCY = 8
const WARMUP = 20
const COMMAND = 'sh -c true'
/** What the executor spawns for that command. */
const ARGV = ['/bin/sh', '-c', COMMAND]
const CREATE_TARGET = 0.7
const TRIGGER_TARGET = 0.8
/** Issue 10, target 2: CPU of the server and its helpers per trivial run. */
const CPU_TARGET_MS = 2

interface Phase {
  /** First request → last 'run:finished'. */
  ms: number
  requestsMs: number
  latencies: number[]
  cpu: CpuTimes
  clientCpuMs: number
  statuses: Map<string, number>
  elu: number
  taskIds: number[]
}

async function measure(bench: BenchServer, client: LoadClient, request: LoadRequest, name: string): Promise<Phase> {
  collectGarbage()
  const finished = awaitRunsFinished(bench.server, request.count, 300_000)
  const elu0 = performance.eventLoopUtilization()
  const cpu0 = treeCpu()
  const t0 = performance.now()
  let result!: Awaited<ReturnType<LoadClient['go']>>
  const end = await profiled(name, async () => {
    result = await client.go(request)
    return finished.done
  })
  const cpu = cpuSince(cpu0)
  return {
    ms: end.at - t0,
    requestsMs: result.ms,
    latencies: result.latencies,
    cpu,
    clientCpuMs: result.cpuMs,
    statuses: end.statuses,
    elu: performance.eventLoopUtilization(elu0).utilization,
    taskIds: result.taskIds,
  }
}

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
  let created: Phase
  let triggered: Phase
  let rssTaskyard: string
  try {
    const client = await startLoadClient()
    ctx.defer(() => client.close())
    const base = { url: bench.server.url, authorization: bench.client.authorization ?? '', concurrency: CONCURRENCY, command: COMMAND, taskIds: [] }
    progress(`throughput: warm-up (${WARMUP} tasks)`)
    const warm = awaitRunsFinished(bench.server, WARMUP, 60_000)
    await client.go({ ...base, mode: 'create', count: WARMUP, prefix: 'warmup' })
    await warm.done
    rssTaskyard = rssMiB()
    progress(`throughput: ${RUNS} × POST /api/tasks, ${CONCURRENCY} in flight`)
    created = await measure(bench, client, { ...base, mode: 'create', count: RUNS, prefix: 'task' }, 'throughput-create')
    progress(`throughput: ${RUNS} × POST /api/tasks/:id/trigger of those tasks, ${CONCURRENCY} in flight`)
    triggered = await measure(bench, client, { ...base, mode: 'trigger', count: RUNS, prefix: '', taskIds: created.taskIds }, 'throughput-trigger')
    client.close()
  } finally {
    await release()
  }

  progress('throughput: bare spawn loop in a fresh process again')
  const bareAfter = await inFreshProcess<{ ms: number; rssBytes: number; cpu: CpuTimes }>(bareRequest)
  const bare = Math.min(bareBefore.ms, bareAfter.ms)
  // The commands' own CPU is what the bare loop's children used; what Taskyard's children used
  // beyond it (and beyond the load client) is its helpers' (the runner, isolation, the copier).
  const bareCpu = bareBefore.ms <= bareAfter.ms ? bareBefore.cpu : bareAfter.cpu
  const perRun = (x: number): number => x / RUNS
  const commandsMs = perRun(bareCpu.childrenMs)
  const helpersMs = (p: Phase): number => Math.max(0, perRun(p.cpu.childrenMs - p.clientCpuMs) - commandsMs)
  const serverCpuMs = (p: Phase): number => perRun(p.cpu.selfMs) + helpersMs(p)
  const ratio = (p: Phase): number => bare / p.ms
  const perSecond = (t: number): string => `${(RUNS / (t / 1000)).toFixed(0)}/s`
  const completed = (p: Phase): boolean => (p.statuses.get('completed') ?? 0) === RUNS
  const cpuCreate = serverCpuMs(created)
  const cpuTrigger = serverCpuMs(triggered)
  const phaseLines = (label: string, p: Phase, target: number): string[] => {
    const lat = summarize(p.latencies)
    return [
      `${label}: ${ms(p.ms, 0)} (${perSecond(p.ms)}), ratio ${ratio(p).toFixed(3)} (target ≥ ${target} -> ${ratio(p) >= target && completed(p) ? 'PASS' : 'FAIL'}); all requests answered after ${ms(p.requestsMs, 0)}, latency p50 ${ms(lat.p50, 1)}, p99 ${ms(lat.p99, 1)}; event loop busy ${(p.elu * 100).toFixed(0)}%`,
      `${label}: CPU per run ${ms(serverCpuMs(p), 2)} = server process ${ms(perRun(p.cpu.selfMs), 2)} + helpers ${ms(helpersMs(p), 2)} (children ${ms(perRun(p.cpu.childrenMs), 2)} − load client ${ms(perRun(p.clientCpuMs), 2)} − commands ${ms(commandsMs, 2)}) (target ≤ ${CPU_TARGET_MS} ms -> ${serverCpuMs(p) <= CPU_TARGET_MS ? 'PASS' : 'FAIL'})`,
      `${label}: run statuses ${[...p.statuses].map(([s, n]) => `${s} ${n}`).join(', ')}`,
    ]
  }
  return {
    name: 'throughput (500 runs)',
    value: `create ratio ${ratio(created).toFixed(3)}, trigger ratio ${ratio(triggered).toFixed(3)}, server CPU per run ${ms(cpuCreate, 2)} / ${ms(cpuTrigger, 2)}`,
    bound: `bare spawn loop ${ms(bare, 0)}, ${perSecond(bare)}; ${ms(perRun(bareCpu.selfMs), 2)} CPU per spawn in the spawning process, ${ms(commandsMs, 2)} in its children`,
    target: `create ≥ ${CREATE_TARGET}, trigger ≥ ${TRIGGER_TARGET}, CPU per run ≤ ${CPU_TARGET_MS} ms`,
    pass:
      ratio(created) >= CREATE_TARGET &&
      ratio(triggered) >= TRIGGER_TARGET &&
      cpuCreate <= CPU_TARGET_MS &&
      cpuTrigger <= CPU_TARGET_MS &&
      completed(created) &&
      completed(triggered),
    details: [
      `bare loop in a fresh process (RSS ${mib(bareBefore.rssBytes, 0)}): before ${ms(bareBefore.ms, 0)}, after ${ms(bareAfter.ms, 0)}; the faster is the bound`,
      `the same loop in the bench process (RSS ${rssInProcess}, as big as the server's): ${ms(inProcess, 0)}`,
      `server RSS ${rssTaskyard} after the warm-up, after GC`,
      ...phaseLines('create', created, CREATE_TARGET),
      ...phaseLines('trigger', triggered, TRIGGER_TARGET),
    ],
  }
}
