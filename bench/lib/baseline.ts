/**
 * The bounds: what bare Node does with child_process.spawn on this machine, set up the way the
 * local executor sets up a run (detached: a new session and process group; stdin a pipe; stdout
 * and stderr one O_APPEND file per run; an explicit env), minus everything Taskyard adds.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { wallNow } from './stats.ts'

export type BareRequest =
  | { mode: 'loop'; dir: string; argv: string[]; count: number; concurrency: number; warmup: number }
  | { mode: 'latency'; dir: string; argv: string[]; count: number; warmup: number }
  | { mode: 'shell'; dir: string; script: string }

const BARE_SCRIPT = fileURLToPath(new URL('../bare.ts', import.meta.url))

/** Runs a bound in a fresh Node process (bench/bare.ts) and returns its JSON answer. */
export function inFreshProcess<T>(request: BareRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BARE_SCRIPT, JSON.stringify(request)], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`bench/bare.ts ${request.mode} failed: ${error.message}\n${stderr}`))
      else resolve(JSON.parse(stdout) as T)
    })
  })
}

function spawnLikeExecutor(argv: readonly string[], logPath: string): ChildProcess {
  const fd = fs.openSync(logPath, 'a')
  try {
    return spawn(argv[0]!, argv.slice(1), { cwd: path.dirname(logPath), env: { ...process.env }, detached: true, stdio: ['pipe', fd, fd] })
  } finally {
    fs.closeSync(fd)
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => {
      child.stdin?.destroy()
      resolve(code)
    })
  })
}

/** `count` spawns of `argv` with `concurrency` in flight; the ms from the first spawn to the last exit. */
export async function spawnLoop(dir: string, argv: readonly string[], count: number, concurrency: number): Promise<number> {
  fs.mkdirSync(dir, { recursive: true })
  let next = 0
  let failures = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++
        if ((await exited(spawnLikeExecutor(argv, path.join(dir, `${i}.log`)))) !== 0) failures += 1
      }
    }),
  )
  const elapsed = performance.now() - t0
  fs.rmSync(dir, { recursive: true, force: true })
  if (failures > 0) throw new Error(`baseline spawn loop: ${failures} of ${count} processes failed`)
  return elapsed
}

export interface SpawnLatencySample {
  /** performance.now() ms from just before the log file is opened to spawn() returning. */
  returned: number
  /** … to the 'spawn' event: the process runs. */
  spawned: number
  /** Date.now() in the 'spawn' handler minus the wall-clock start (what the executor's `at` gives). */
  wallAt: number
}

/** One spawn at a time, each after the previous exited, timed like a trigger. */
export async function spawnLatency(dir: string, argv: readonly string[], count: number): Promise<SpawnLatencySample[]> {
  fs.mkdirSync(dir, { recursive: true })
  const samples: SpawnLatencySample[] = []
  for (let i = 0; i < count; i++) {
    const w0 = wallNow()
    const p0 = performance.now()
    const child = spawnLikeExecutor(argv, path.join(dir, `${i}.log`))
    const returned = performance.now() - p0
    const done = exited(child)
    const spawned = await new Promise<{ p: number; wall: number }>((resolve) => child.once('spawn', () => resolve({ p: performance.now(), wall: Date.now() })))
    await done
    samples.push({ returned, spawned: spawned.p - p0, wallAt: spawned.wall - w0 })
  }
  fs.rmSync(dir, { recursive: true, force: true })
  return samples
}

/** Runs `sh -c <script>` (spawned like a run) and returns the ms from spawn to exit. */
export async function timeShell(dir: string, script: string): Promise<number> {
  fs.mkdirSync(dir, { recursive: true })
  const t0 = performance.now()
  const code = await exited(spawnLikeExecutor(['/bin/sh', '-c', script], path.join(dir, 'shell.log')))
  const elapsed = performance.now() - t0
  if (code !== 0) throw new Error(`sh -c '${script}' exited with ${code}`)
  return elapsed
}
