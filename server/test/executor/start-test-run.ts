import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import type { TestContext } from 'node:test'
import type { Executor, RunEvent, RunHandle, RunSpec } from '../../src/executor/executor.ts'
import { readProcEntrySync } from '../../src/lib/proc-table.ts'
import { followLog } from '../../src/logs/follow-log.ts'

export type ExitedEvent = Extract<RunEvent, { type: 'exited' }>
export type StartedEvent = Extract<RunEvent, { type: 'started' }>
export type SampleEvent = Extract<RunEvent, { type: 'sample' }>

/** Runs see only this PATH, so `python3` is the system's, not a version manager's shim. */
export const TEST_PATH = '/usr/local/bin:/usr/bin:/bin'

export interface TestRun {
  handle: RunHandle
  /** Every event so far, in delivery order. */
  events: RunEvent[]
  started: Promise<StartedEvent>
  exited: Promise<ExitedEvent>
  spec: RunSpec
  /** Resolves with the first event (past or future) that matches. */
  event<T extends RunEvent>(match: (event: RunEvent) => event is T): Promise<T>
  /** The log file as it is now. */
  output(): string
  /** Follows the log until `match` holds for everything written so far; rejects if the run ends first or after timeoutMs. */
  outputMatching(match: (text: string) => boolean, timeoutMs?: number): Promise<string>
}

/**
 * Starts a real process in a temporary directory with short, test-sized limits. The test's
 * cleanup kills whatever the run left (should an assertion fail mid-way) and removes the directory.
 */
export function startTestRun(t: TestContext, executor: Executor, spec: Partial<RunSpec> & Pick<RunSpec, 'argv'>): TestRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskyard-executor-'))
  const fullSpec: RunSpec = {
    runId: 1,
    cwd: dir,
    env: { PATH: TEST_PATH },
    outputPath: path.join(dir, 'run.log'),
    timeoutMs: null,
    killGraceMs: 2_000,
    sampleIntervalMs: 1_000,
    // The contract's input tests feed stdin; the suite's non-interactive test sets false itself.
    interactive: true,
    ...spec,
  }
  const events: RunEvent[] = []
  const waiters = new Set<{ match: (event: RunEvent) => boolean; resolve: (event: RunEvent) => void }>()
  const handle = executor.start(fullSpec, (event) => {
    events.push(event)
    for (const waiter of waiters) {
      if (!waiter.match(event)) continue
      waiters.delete(waiter)
      waiter.resolve(event)
    }
  })
  const event = <T extends RunEvent>(match: (event: RunEvent) => event is T): Promise<T> => {
    const seen = events.find(match)
    if (seen) return Promise.resolve(seen)
    return new Promise<T>((resolve) => waiters.add({ match, resolve: resolve as (event: RunEvent) => void }))
  }
  const exited = event(isExited)
  t.after(async () => {
    await handle.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  return {
    handle,
    events,
    started: event(isStarted),
    exited,
    spec: fullSpec,
    event,
    output: () => fs.readFileSync(fullSpec.outputPath, 'utf8'),
    async outputMatching(match, timeoutMs = 10_000) {
      let text = ''
      // A run that never writes what is expected must fail the test, not hang the file: the
      // follow ends at the run's exit or at the deadline, whichever comes first.
      let timer: NodeJS.Timeout | undefined
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
      try {
        for await (const chunk of followLog(fullSpec.outputPath, 0, Promise.race([exited.then(() => undefined), deadline]), { pollMs: 20 })) {
          text += chunk.text
          if (match(text)) return text
        }
      } finally {
        clearTimeout(timer)
      }
      throw new Error(`the run ended (or ${timeoutMs} ms passed) without the expected output; it wrote ${JSON.stringify(text)}`)
    },
  }
}

export const isExited = (event: RunEvent): event is ExitedEvent => event.type === 'exited'
export const isStarted = (event: RunEvent): event is StartedEvent => event.type === 'started'
export const isSample = (event: RunEvent): event is SampleEvent => event.type === 'sample'

/** The one-letter state of a process (R, S, T, Z…), or null when it no longer exists. */
export function processState(pid: number): string | null {
  return readProcEntrySync(pid)?.state ?? null
}

/**
 * Whether the process still runs. A killed orphan may stay a zombie until PID 1 reaps it, which
 * some PID 1s (container init replacements) never do, so kill(pid, 0) alone would say "alive".
 */
export function isRunning(pid: number): boolean {
  const state = processState(pid)
  return state !== null && state !== 'Z' && state !== 'X'
}

/**
 * Polls /proc until `pid` is in one of `states`. Signals are asynchronous and there is no event for
 * another process's state change, so a bounded poll is the honest wait.
 */
export async function waitForState(pid: number, states: readonly string[]): Promise<string> {
  const deadline = Date.now() + 5_000
  for (;;) {
    const state = processState(pid)
    if (state !== null && states.includes(state)) return state
    if (Date.now() > deadline) throw new Error(`process ${pid} is in state ${state}, expected one of ${states.join(', ')}`)
    await delay(5)
  }
}

/** Like waitForState, for the process group a process belongs to. */
export async function waitForPgrp(pid: number, pgrp: number): Promise<void> {
  const deadline = Date.now() + 5_000
  for (;;) {
    if (readProcEntrySync(pid)?.pgrp === pgrp) return
    if (Date.now() > deadline) throw new Error(`process ${pid} never joined group ${pgrp}`)
    await delay(5)
  }
}

/** The events of a run in order, by type, for whole-sequence assertions. */
export const eventTypes = (events: readonly RunEvent[]): string[] => events.map((event) => event.type)

/** started, zero or more samples, exited: the contract's order. */
export function followsContractOrder(events: readonly RunEvent[]): boolean {
  const types = eventTypes(events)
  const body = types[0] === 'started' ? types.slice(1) : types
  return body.length >= 1 && body.at(-1) === 'exited' && body.slice(0, -1).every((type) => type === 'sample')
}

export type ContainmentKind = 'cgroup2' | 'cgroup1' | 'none'

/** The directory of a process's cgroup in the hierarchy that contains runs of `kind`; null when gone. */
export function cgroupDirectory(pid: number, kind: 'cgroup2' | 'cgroup1'): string | null {
  let text: string
  try {
    text = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')
  } catch {
    return null
  }
  const line = text.split('\n').find((l) => (kind === 'cgroup2' ? l.startsWith('0::') : /^\d+:([^:]*,)?freezer(,[^:]*)?:/.test(l)))
  if (line === undefined) return null
  const cgroupPath = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1)
  const mount = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => ({ point: l.split(' ')[4] ?? '', after: l.slice(l.indexOf(' - ') + 3).split(' ') }))
    .find((m) => (kind === 'cgroup2' ? m.after[0] === 'cgroup2' : m.after[0] === 'cgroup' && (m.after[2] ?? '').split(',').includes('freezer')))
  return mount ? path.join(mount.point, cgroupPath) : null
}

/**
 * Whether the process is paused the way its containment pauses: stopped (T) without cgroups; in a
 * frozen cgroup with them (v1 freezer.state FROZEN, v2 cgroup.events "frozen 1": the kernel says
 * so only once every process in it is frozen).
 */
export function isPaused(pid: number, kind: ContainmentKind = containmentOf(pid)): boolean {
  if (kind === 'none') return processState(pid) === 'T'
  const dir = cgroupDirectory(pid, kind)
  if (dir === null || !isRunning(pid)) return false
  try {
    if (kind === 'cgroup1') return fs.readFileSync(path.join(dir, 'freezer.state'), 'utf8').trim() === 'FROZEN'
    return /^frozen 1$/m.test(fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8'))
  } catch {
    return false
  }
}

/**
 * The directories of the run cgroups (every hierarchy) a process is in; for tests whose executor
 * died without cleaning up (a SIGKILLed server), to remove them once the process is gone.
 */
export function runCgroupDirectories(pid: number): string[] {
  let text: string
  try {
    text = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')
  } catch {
    return []
  }
  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => ({ point: l.split(' ')[4] ?? '', after: l.slice(l.indexOf(' - ') + 3).split(' ') }))
  const dirs: string[] = []
  for (const line of text.split('\n')) {
    const [, controllers = '', cgroupPath = ''] = line.split(/:(.*?):/)
    if (!/\/taskyard\/[^/]+\/run-/.test(cgroupPath)) continue
    const mount = mounts.find((m) =>
      controllers === '' ? m.after[0] === 'cgroup2' : m.after[0] === 'cgroup' && controllers.split(',').every((c) => (m.after[2] ?? '').split(',').includes(c)),
    )
    if (mount) dirs.push(path.join(mount.point, cgroupPath))
  }
  return dirs
}

/** rmdir of run cgroups (retried while a dying member still counts), then of their parents when empty. */
export async function removeCgroupDirectories(dirs: readonly string[]): Promise<void> {
  const rmdir = (dir: string): boolean => {
    try {
      fs.rmdirSync(dir)
      return true
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT'
    }
  }
  for (const dir of dirs) {
    await waitUntil(() => rmdir(dir), `cannot remove ${dir}`)
    if (rmdir(path.dirname(dir))) rmdir(path.dirname(path.dirname(dir)))
  }
}

/** How the executor contains this process: by the taskyard cgroup it is in, if any (for tests that only see a pid). */
export function containmentOf(pid: number): ContainmentKind {
  for (const kind of ['cgroup1', 'cgroup2'] as const) {
    if (/\/taskyard\/[^/]+\/run-/.test(cgroupDirectory(pid, kind) ?? '')) return kind
  }
  return 'none'
}

/** Waits until the process is paused the way its containment pauses (see isPaused). */
export const waitForPausedProcess = (pid: number): Promise<void> => waitForPaused(pid, containmentOf(pid))

async function waitFor(condition: () => boolean, describe: () => string): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(describe())
    await delay(5)
  }
}

export const waitForPaused = (pid: number, kind: ContainmentKind): Promise<void> =>
  waitFor(
    () => isPaused(pid, kind),
    () => `process ${pid} is not paused (state ${processState(pid)}, ${kind})`,
  )

export const waitForResumed = (pid: number, kind: ContainmentKind): Promise<void> =>
  waitFor(
    () => !isPaused(pid, kind) && ['S', 'R'].includes(processState(pid) ?? ''),
    () => `process ${pid} did not resume (state ${processState(pid)}, ${kind})`,
  )

/** Polls until the condition holds (5 s at most): for effects on processes that send no event. */
export const waitUntil = (condition: () => boolean, message: string): Promise<void> => waitFor(condition, () => message)
