import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { RUNNER_LOST_RUN } from '../../src/executor/runner/protocol.ts'
import { createRunnerExecutor, type RunnerExecutor } from '../../src/executor/runner/runner-executor.ts'
import { describeExecutorContract } from './executor-contract.ts'
import { eventTypes, followsContractOrder, isRunning, removeCgroupDirectories, runCgroupDirectories, startTestRun, TEST_PATH } from './start-test-run.ts'

describeExecutorContract({ name: 'runner', create: (options) => createRunnerExecutor(options) })

const RUNNER_EXECUTOR = fileURLToPath(new URL('../../src/executor/runner/runner-executor.ts', import.meta.url))

describe('runner executor: its own process', { timeout: 120_000 }, () => {
  it('reports every active run as exited when the runner dies, kills their groups, and starts a new runner', async (t) => {
    const executor = await open(t)
    const firstRunner = executor.runnerPid
    assert.ok(firstRunner !== null && firstRunner > 1)
    const runs = [1, 2, 3].map(() => startTestRun(t, executor, { argv: ['sh', '-c', 'sleep 1000 & sleep 1000'] }))
    const started = await Promise.all(runs.map((run) => run.started))
    process.kill(firstRunner, 'SIGKILL')
    for (const run of runs) {
      const { at: _at, ...exited } = await run.exited
      assert.deepEqual(exited, { type: 'exited', exitCode: null, signal: null, reason: 'exit', lostReason: RUNNER_LOST_RUN })
      assert.ok(followsContractOrder(run.events), eventTypes(run.events).join())
    }
    for (const { pid } of started) await waitUntil(() => !isRunning(pid) && !executor.isGroupAlive(pid), `group ${pid} is still alive`)
    assert.equal(executor.runnerPid, null)

    const next = startTestRun(t, executor, { argv: ['sh', '-c', 'exit 4'] })
    assert.equal((await next.exited).exitCode, 4)
    assert.ok(executor.runnerPid !== null && executor.runnerPid !== firstRunner)
    await delay(20)
    assert.equal(
      runs.every((run) => run.events.filter((event) => event.type === 'exited').length === 1),
      true,
    )
  })

  for (const containment of ['auto', 'none'] as const) {
    const skip = process.getuid?.() === 0 ? false : 'skipped: runAs and isolation need root'
    it(
      `${containment}: a capped, isolated run under runAs whose runner dies keeps its output; its processes and its copier end${skip ? ` (${skip})` : ''}`,
      { skip },
      async (t) => {
        const executor = await createRunnerExecutor({ containment })
        t.after(() => executor.close())
        if (executor.isolation === null) return t.skip('skipped: no mount namespaces on this machine')
        const hidden = fs.mkdtempSync('/tmp/taskyard-secret-')
        const cwd = fs.mkdtempSync('/tmp/taskyard-capped-')
        fs.chmodSync(cwd, 0o777)
        t.after(() => {
          fs.rmSync(hidden, { recursive: true, force: true })
          fs.rmSync(cwd, { recursive: true, force: true })
        })
        const run = startTestRun(t, executor, {
          argv: ['sh', '-c', 'echo before; sleep 1000'],
          cwd,
          outputPath: path.join(cwd, 'run.log'),
          maxOutputBytes: 1_000,
          isolation: { hidden: [hidden], writable: [], readOnly: [] },
          runAs: { uid: 65534, gid: 65534 },
        })
        await run.outputMatching((text) => text === 'before\n')
        const { pid } = await run.started
        // With the Perl helper the copier is the leader's child; otherwise the runner's, which dies.
        const copiers = fs
          .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
          .trim()
          .split(' ')
          .filter(Boolean)
          .map(Number)
          .filter((child) => fs.readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'perl')
        if (/helper/.test(executor.isolation)) assert.equal(copiers.length, 1)
        process.kill(executor.runnerPid as number, 'SIGKILL')
        const { at: _at, ...exited } = await run.exited
        assert.deepEqual(exited, { type: 'exited', exitCode: null, signal: null, reason: 'exit', lostReason: RUNNER_LOST_RUN })
        for (const each of [pid, ...copiers]) await waitUntil(() => !isRunning(each), `process ${each} outlived its runner`)
        assert.equal(run.output(), 'before\n')
      },
    )
  }

  it('runs 50 concurrent starts, each with one started and exactly one exited, last', async (t) => {
    const executor = await open(t)
    const runs = Array.from({ length: 50 }, (_, i) => startTestRun(t, executor, { runId: i + 1, argv: ['sh', '-c', 'true'] }))
    const exited = await Promise.all(runs.map((run) => run.exited))
    assert.deepEqual(
      exited.map((event) => event.exitCode),
      runs.map(() => 0),
    )
    await delay(50) // anything late would show up now
    for (const run of runs) {
      assert.deepEqual(
        eventTypes(run.events).filter((type) => type !== 'sample'),
        ['started', 'exited'],
      )
      assert.ok(followsContractOrder(run.events), eventTypes(run.events).join())
    }
    assert.equal(new Set(runs.map((run) => run.handle.pid)).size, 50)
  })

  it('close() stops the active runs, ends the runner, and later starts report an error', async (t) => {
    const executor = await createRunnerExecutor()
    const runner = executor.runnerPid
    assert.ok(runner !== null)
    const run = startTestRun(t, executor, { argv: ['sleep', '1000'] })
    const { pid } = await run.started
    await executor.close()
    // peakRssBytes is there with a cgroup memory controller; the memory tests of the contract check it.
    const { at: _at, peakRssBytes: _peak, ...exited } = await run.exited
    assert.deepEqual(exited, { type: 'exited', exitCode: null, signal: 'SIGTERM', reason: 'stopped' })
    assert.equal(isRunning(pid), false)
    await waitUntil(() => !isRunning(runner), 'the runner still runs')
    assert.equal(executor.runnerPid, null)
    const late = startTestRun(t, executor, { argv: ['true'] })
    assert.deepEqual(late.events, []) // never from inside start()
    assert.equal((await late.exited).spawnError, 'the executor is closed')
    await executor.close() // twice is harmless
  })

  it('does not keep the server alive while idle, but does while a run is active', async () => {
    // Neither script calls close(): the process must end by itself, after the run's 'exited'.
    const script = `
      import { createRunnerExecutor } from ${JSON.stringify(RUNNER_EXECUTOR)}
      const executor = await createRunnerExecutor()
      const spec = { runId: 1, argv: ['sleep', '0.3'], cwd: '/', env: { PATH: ${JSON.stringify(TEST_PATH)} },
        outputPath: '/dev/null', timeoutMs: null, killGraceMs: 1000, sampleIntervalMs: 1000 }
      executor.start(spec, (event) => { if (event.type === 'exited') console.log('exited', event.exitCode) })
    `
    const started = Date.now()
    const { stdout, code } = await runNode(script)
    assert.equal(code, 0)
    assert.equal(stdout, 'exited 0\n')
    assert.ok(Date.now() - started < 10_000)
  })

  it('leaves the runs alone and exits when the server dies', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskyard-runner-'))
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const script = `
      import { createRunnerExecutor } from ${JSON.stringify(RUNNER_EXECUTOR)}
      const executor = await createRunnerExecutor()
      const spec = { runId: 1, argv: ['sleep', '1000'], cwd: '/', env: { PATH: ${JSON.stringify(TEST_PATH)} },
        outputPath: ${JSON.stringify(path.join(dir, 'run.log'))}, timeoutMs: null, killGraceMs: 1000, sampleIntervalMs: 1000 }
      executor.start(spec, (event) => { if (event.type === 'started') console.log(event.pid, executor.runnerPid) })
    `
    const server = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    const line = await new Promise<string>((resolve, reject) => {
      let text = ''
      server.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString()
        if (text.includes('\n')) resolve(text)
      })
      server.once('exit', () => reject(new Error(`the server ended first: ${text}`)))
    })
    const [runPid, runnerPid] = line.trim().split(' ').map(Number) as [number, number]
    // Its server is SIGKILLed below, so nobody else removes the run's cgroups.
    const cgroups = runCgroupDirectories(runPid)
    t.after(async () => {
      try {
        process.kill(-runPid, 'SIGKILL')
      } catch {
        // gone
      }
      await removeCgroupDirectories(cgroups)
    })
    server.kill('SIGKILL')
    await waitUntil(() => !isRunning(runnerPid), 'the runner outlived the server')
    assert.equal(isRunning(runPid), true)
  })
})

async function open(t: TestContext): Promise<RunnerExecutor> {
  const executor = await createRunnerExecutor()
  t.after(() => executor.close())
  return executor
}

async function waitUntil(condition: () => boolean, message: string): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(message)
    await delay(5)
  }
}

function runNode(script: string): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 20_000 })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.once('error', reject)
    child.once('close', (code) => resolve({ stdout, code }))
  })
}
