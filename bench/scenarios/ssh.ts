/**
 * Figure — runs over SSH (issue 12). 200 shell tasks `echo hi` created through POST /api/tasks
 * (spec 001's JSON, `@once`: each runs at once on the loopback OpenSSH server), 8 requests in
 * flight, timed from the first request to the last 'run:finished'. The bound: a loop of
 * `ssh -o ControlMaster=auto … echo hi` against the same server, reusing one master connection,
 * with the same 8 in flight (and, shown too, one at a time). Taskyard runs with TASKYARD_MAX_WORKERS=8,
 * the same 8 at once. Target: ratio ≥ 1.0, thanks to the pooled connections and the control shell.
 *
 * Beside the figure, each side's CPU a run, split by who pays it (proc-cpu.ts): on 2 shared cores
 * both sides are CPU-bound, so the ratio is about the ratio of these totals. With
 * TASKYARD_BENCH_TRACE=1, also what a run asks of the SSH pool (ssh-trace.ts) and, on PostgreSQL,
 * its statements by shape with their wait (pg-trace.ts); the wrappers cost a little, so a traced
 * figure is not compared with an untraced one.
 */
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { BenchContext } from '../lib/context.ts'
import { profiled } from '../lib/profiler.ts'
import { progress, type Figure } from '../lib/report.ts'
import { awaitRunsFinished, startBenchServer, withPgClient } from '../lib/server.ts'
import { ms, summarize } from '../lib/stats.ts'
import { startTestSshServer } from '../../server/test/helpers/ssh-server.ts'
import { pidsMatching, processesCpuMs, treeCpuMs } from '../lib/proc-cpu.ts'
import { startPgTrace, type PgTrace } from '../lib/pg-trace.ts'
import { startSshTrace } from '../lib/ssh-trace.ts'

const RUNS = 200
const CONCURRENCY = 8
const WARMUP = 10
const TARGET = 1.0
const run = promisify(execFile)

async function inFlight(count: number, concurrency: number, one: (i: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++
        const s = performance.now()
        await one(i)
        latencies.push(performance.now() - s)
      }
    }),
  )
  return latencies
}

export async function sshRuns(ctx: BenchContext): Promise<Figure> {
  const sshd = await startTestSshServer()
  ctx.defer(() => sshd.stop())
  const keyFile = path.join(ctx.root, 'ssh-key')
  writeFileSync(keyFile, sshd.key.privateKey, { mode: 0o600 })
  const control = path.join(ctx.root, 'cm-%C')
  const sshArgs = [
    '-o',
    'ControlMaster=auto',
    '-o',
    `ControlPath=${control}`,
    '-o',
    'ControlPersist=120',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-i',
    keyFile,
    '-p',
    String(sshd.port),
    `${sshd.username}@${sshd.host}`,
    'echo',
    'hi',
  ]
  const ssh = async (): Promise<void> => {
    const { stdout } = await run('ssh', sshArgs)
    if (stdout !== 'hi\n') throw new Error(`ssh answered ${JSON.stringify(stdout)}`)
  }
  // The same port as the loop's: %C hashes it, and a -O exit without it names another socket and
  // leaves the master (and its sshd session, which holds this process's stderr pipe) for 120 s.
  ctx.defer(() =>
    run('ssh', ['-o', `ControlPath=${control}`, '-p', String(sshd.port), '-O', 'exit', `${sshd.username}@${sshd.host}`]).then(
      () => undefined,
      () => undefined,
    ),
  )

  progress(`ssh: baseline, ${RUNS} × ssh -o ControlMaster=auto … echo hi`)
  await inFlight(WARMUP, 1, ssh) // the master connection is made here
  let t = performance.now()
  await inFlight(RUNS, 1, ssh)
  const sequentialMs = performance.now() - t
  const muxPids = pidsMatching(`${path.join(ctx.root, 'cm-')}`)
  const boundCpu0 = cpuSplit(sshd.pid, muxPids, [])
  t = performance.now()
  await inFlight(RUNS, CONCURRENCY, ssh)
  const parallelMs = performance.now() - t
  const boundCpu = cpuDelta(boundCpu0, cpuSplit(sshd.pid, muxPids, []))

  // As many runs at once as the bound has in flight: the default limit is this machine's CPU
  // count (TASKYARD_MAX_WORKERS), which says nothing of a remote server and would cap Taskyard at
  // 2 of the bound's 8.
  const bench = await startBenchServer({ root: ctx.root, name: 'server', databaseUrl: ctx.databaseUrl, env: { TASKYARD_MAX_WORKERS: String(CONCURRENCY) } })
  const release = ctx.defer(() => bench.close())
  let taskyardMs: number
  let statuses: Map<string, number>
  let posts: number[] = []
  // This process's CPU over the 200 runs: Taskyard's own share of the runs' cost (it runs in-process).
  let taskyardCpuMs: number
  let taskyardCpu: CpuSplit
  let trace: ReturnType<PgTrace['stop']> | null = null
  let sshTrace: Map<string, number> | null = null
  try {
    const { server, client } = bench
    const json = (body: unknown) => client.request('POST', '/api/tasks', Buffer.from(JSON.stringify(body)), { 'content-type': 'application/json' })
    const registered = await client.request(
      'POST',
      '/api/servers',
      Buffer.from(JSON.stringify({ name: 'loopback', host: sshd.host, port: sshd.port, username: sshd.username, private_key: sshd.key.privateKey })),
      { 'content-type': 'application/json' },
    )
    if (registered.status !== 201) throw new Error(`registering the server: ${registered.status} ${registered.text}`)
    const serverId = (JSON.parse(registered.text) as { server: { id: number } }).server.id
    const create = (prefix: string) => async (i: number) => {
      const res = await json({ name: `${prefix}-${i}`, command: 'echo hi', server_id: serverId, cron_expr: '@once' })
      if (res.status !== 200) throw new Error(`POST /api/tasks: ${res.status} ${res.text}`)
    }
    progress(`ssh: warm-up (${WARMUP} runs)`)
    const warm = awaitRunsFinished(server, WARMUP, 60_000)
    await inFlight(WARMUP, CONCURRENCY, create('warmup'))
    await warm.done
    progress(`ssh: ${RUNS} × POST /api/tasks (echo hi on the server), ${CONCURRENCY} in flight`)
    const finished = awaitRunsFinished(server, RUNS, 300_000)
    const backends = bench.databaseUrl ? await backendPids(bench.databaseUrl) : []
    const tracing = process.env.TASKYARD_BENCH_TRACE === '1'
    const tracer = tracing && bench.databaseUrl ? startPgTrace() : null
    const sshTracer = tracing ? startSshTrace() : null
    const split0 = cpuSplit(sshd.pid, [], backends)
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const end = await profiled('ssh', async () => {
      posts = await inFlight(RUNS, CONCURRENCY, create('task'))
      return finished.done
    })
    taskyardMs = end.at - t0
    const cpu = process.cpuUsage(cpu0)
    trace = tracer?.stop() ?? null
    sshTrace = sshTracer?.stop() ?? null
    const later = bench.databaseUrl ? await backendPids(bench.databaseUrl) : []
    // Backends opened during the phase started at 0; one that ended in it is missed (reported).
    const split1 = cpuSplit(sshd.pid, [], [...new Set([...backends, ...later])])
    taskyardCpu = cpuDelta(split0, split1)
    taskyardCpu.backendsGone = backends.filter((pid) => !later.includes(pid)).length
    taskyardCpuMs = (cpu.user + cpu.system) / 1000
    statuses = end.statuses
  } finally {
    await release()
  }
  const ratio = parallelMs / taskyardMs
  const completed = statuses.get('completed') ?? 0
  const post = summarize(posts)
  const perSecond = (x: number): string => `${(RUNS / (x / 1000)).toFixed(0)}/s`
  return {
    name: `runs over SSH (${RUNS} × echo hi)`,
    value: `ratio ${ratio.toFixed(3)} (taskyard ${ms(taskyardMs, 0)}, ${perSecond(taskyardMs)})`,
    bound: `ssh ControlMaster loop, ${CONCURRENCY} in flight: ${ms(parallelMs, 0)}, ${perSecond(parallelMs)}`,
    target: `ratio ≥ ${TARGET}`,
    pass: ratio >= TARGET && completed === RUNS,
    details: [
      `the same ssh loop one at a time: ${ms(sequentialMs, 0)} (ratio against it ${(sequentialMs / taskyardMs).toFixed(3)})`,
      `Taskyard's own CPU (this process) over the ${RUNS} runs: ${ms(taskyardCpuMs, 0)}, ${(taskyardCpuMs / RUNS).toFixed(1)} ms a run`,
      `CPU a run, bound (${CONCURRENCY} in flight): ${describeSplit(boundCpu, RUNS)}`,
      `CPU a run, Taskyard: ${describeSplit(taskyardCpu, RUNS)}`,
      ...(sshTrace ? [`SSH requests a run: ${[...sshTrace].map(([k, n]) => `${k} ${(n / RUNS).toFixed(2)}`).join(', ')}`] : []),
      ...(trace
        ? [
            `PostgreSQL statements a run: ${(trace.statements / RUNS).toFixed(1)}, waited for ${(trace.queryMs / RUNS).toFixed(1)} ms a run (send → answer, summed); ` +
              `pool checkouts ${(trace.connects / RUNS).toFixed(1)} a run, waited ${(trace.connectWaitMs / RUNS).toFixed(1)} ms a run`,
            ...trace.shapes.map(([shape, s]) => `  ${(s.count / RUNS).toFixed(2)} a run × ${(s.totalMs / s.count).toFixed(2)} ms: ${shape}`),
          ]
        : []),
      `POST /api/tasks latency, ${CONCURRENCY} in flight: p50 ${ms(post.p50, 1)}, p99 ${ms(post.p99, 1)}`,
      `run statuses: ${[...statuses].map(([s, n]) => `${s} ${n}`).join(', ')}`,
      `TASKYARD_MAX_WORKERS=${CONCURRENCY}; load average at the end ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    ],
  }
}

interface CpuSplit {
  /** This process (the server and the load client, or the loop's spawning). */
  self: number
  /** What this process reaped: the `ssh` clients of the loop. */
  children: number
  /** The sshd listener, its sessions and every command they ran. */
  sshd: number
  /** The loop's ssh master (ControlMaster). */
  mux: number
  /** PostgreSQL backends of the scenario's database. */
  postgres: number
  backendsGone?: number
}

function cpuSplit(sshdPid: number, muxPids: number[], backends: number[]): CpuSplit {
  const own = process.cpuUsage()
  const self = (own.user + own.system) / 1000
  const sshd = treeCpuMs(sshdPid)
  // This process's tree holds sshd's (its child) and the reaped ssh clients; its own time is `self`
  // (read from process.cpuUsage, finer than /proc's ticks, so the clients' share is ±10 ms).
  const children = Math.max(0, treeCpuMs(process.pid) - selfTicks() - sshd)
  return { self, children, sshd, mux: processesCpuMs(muxPids), postgres: processesCpuMs(backends) }
}

function selfTicks(): number {
  const text = readFileSync('/proc/self/stat', 'utf8')
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

function cpuDelta(a: CpuSplit, b: CpuSplit): CpuSplit {
  return { self: b.self - a.self, children: b.children - a.children, sshd: b.sshd - a.sshd, mux: b.mux - a.mux, postgres: b.postgres - a.postgres }
}

function describeSplit(s: CpuSplit, runs: number): string {
  const total = s.self + s.children + s.sshd + s.mux + s.postgres
  const part = (label: string, v: number): string => `${label} ${(v / runs).toFixed(1)}`
  return (
    `${(total / runs).toFixed(1)} ms (${[part('this process', s.self), part('ssh clients', s.children), part('sshd + remote commands', s.sshd), part('ssh mux', s.mux), part('PostgreSQL backends', s.postgres)].join(', ')})` +
    (s.backendsGone ? `; ${s.backendsGone} backend(s) ended during the phase, their CPU not counted` : '')
  )
}

async function backendPids(databaseUrl: string): Promise<number[]> {
  const name = new URL(databaseUrl).pathname.slice(1)
  const { rows } = await withPgClient(databaseUrl, (c) =>
    c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]),
  )
  return rows.map((r) => Number(r.pid))
}
