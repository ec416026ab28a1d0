/**
 * The Executor contract's cases, run against every implementation (local-executor.test.ts,
 * runner-executor.test.ts) × every containment this machine offers (cgroup v2, cgroup v1, none):
 * each must behave the same for every method. A containment the machine cannot give is named in
 * a visibly skipped suite, never silently left out.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, it, type TestContext } from 'node:test'
import type { Executor, RunEvent, RunSpec } from '../../src/executor/executor.ts'
import { createLocalExecutor, type LocalExecutorOptions } from '../../src/executor/local/local-executor.ts'
import { readEnviron } from '../../src/lib/orphan-group.ts'
import { readChildrenSync, readProcEntrySync } from '../../src/lib/proc-table.ts'
import { followLog } from '../../src/logs/follow-log.ts'
import {
  cgroupDirectory,
  followsContractOrder,
  eventTypes,
  isRunning,
  isSample,
  processState,
  startTestRun,
  TEST_PATH,
  waitForPaused,
  waitForPgrp,
  waitForResumed,
  waitForState,
  waitUntil,
  type ContainmentKind,
  type SampleEvent,
} from './start-test-run.ts'

export interface ExecutorUnderTest {
  /** Used in test names: '<name> executor'. */
  name: string
  create(options: LocalExecutorOptions): Promise<Executor & { close?(): Promise<void> }>
  /** The containments it runs under (default: every one the machine offers). The SSH executor's is the remote group: 'none'. */
  containments?: readonly ContainmentKind[]
  /** Why runAs and isolation do not apply to it (shown as the skip reason), or absent when they do. */
  noAccountOrIsolation?: string
  /** Why a command that cannot be found is no spawn error for it (the isolation helper's runs: exit 127 and a message), as the skip reason. */
  missingCommandExits?: string
  /** Why its memory-limit case is skipped (a known issue of the launched variant, shown as the reason). */
  peakOverLimit?: string
  /** Why its runs take no input (the launched variant: every run non-interactive), shown as the skip reason of the input cases. */
  noInput?: string
  /** A remote executor pays a round trip per control command: its suite may take longer. */
  suiteTimeoutMs?: number
}

const MiB = 1024 * 1024
const CONTAINMENTS: readonly ContainmentKind[] = ['cgroup2', 'cgroup1', 'none']
/** Every file ends: a hung process or stream fails its test instead of holding the run. */
const SUITE_TIMEOUT_MS = 120_000

/** Event fields without the timestamp (compared by order instead) and the cgroup's memory peak (its own tests check it). */
const withoutAt = (event: RunEvent): Omit<RunEvent, 'at'> => {
  const { at: _at, ...rest } = event
  if (rest.type === 'exited') delete rest.peakRssBytes
  return rest
}

let installations = 0
const newInstallation = (): string => `/taskyard-test/${process.pid}/${++installations}`

export function describeExecutorContract(impl: ExecutorUnderTest): void {
  for (const kind of impl.containments ?? CONTAINMENTS) {
    const probe = createLocalExecutor({ containment: kind })
    if (probe.containmentKind !== kind) {
      describe(`${impl.name} executor, ${kind} (skipped: ${probe.containment})`, { skip: true }, () => {})
      continue
    }
    describeWith(impl, kind, probe.canLimitMemory)
  }
}

function describeWith(impl: ExecutorUnderTest, kind: ContainmentKind, hasMemory: boolean): void {
  describe(`${impl.name} executor, ${kind}`, { timeout: impl.suiteTimeoutMs ?? SUITE_TIMEOUT_MS }, () => {
    let executor!: Executor & { close?(): Promise<void> }
    const installation = newInstallation()
    before(async () => {
      executor = await impl.create({ containment: kind, installation })
    })
    after(async () => {
      await executor.close?.()
    })

    it('says which containment it uses', () => {
      const expected = { cgroup2: /^cgroup v2 at \//, cgroup1: /^cgroup v1 \(freezer \//, none: /^process groups \(/ }[kind]
      assert.match(executor.containment, expected)
      assert.equal(executor.canLimitMemory, hasMemory)
    })

    describe('how a run ends', () => {
      it('reports started, then exited with code 0, with the process as leader of its own group', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'echo $$; exit 0'] })
        const exited = await run.exited
        const started = await run.started
        assert.deepEqual(withoutAt(started), { type: 'started', pid: run.handle.pid })
        assert.deepEqual(withoutAt(exited), { type: 'exited', exitCode: 0, signal: null, reason: 'exit' })
        assert.equal(run.output(), `${run.handle.pid}\n`)
        assert.ok(run.handle.pid > 1)
        assert.ok(exited.at >= started.at)
        assert.ok(followsContractOrder(run.events), eventTypes(run.events).join())
      })

      it('reports a non-zero exit code', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'exit 3'] })
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: 3, signal: null, reason: 'exit' })
      })

      it('reports the name of the signal that killed the process', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'kill -KILL $$'] })
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: null, signal: 'SIGKILL', reason: 'exit' })
      })

      it('reports a command that cannot be found as a spawn error, without a started event', { skip: impl.missingCommandExits ?? false }, async (t) => {
        const run = startTestRun(t, executor, { argv: ['taskyard-no-such-command', 'x'] })
        await run.exited
        assert.deepEqual(run.events.map(withoutAt), [
          { type: 'exited', exitCode: null, signal: null, reason: 'exit', spawnError: 'spawn taskyard-no-such-command ENOENT' },
        ])
        assert.equal(run.handle.pid, 0)
        // Operations on a run that never started are harmless no-ops.
        run.handle.pause()
        run.handle.resume()
        run.handle.writeInput('ignored\n')
        await run.handle.stop()
        assert.equal(run.events.length, 1)
      })

      it('names the missing working directory instead of blaming the command', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'true'], cwd: '/nonexistent/taskyard-cwd' })
        const exited = await run.exited
        assert.equal(exited.spawnError, 'spawn sh ENOENT (working directory /nonexistent/taskyard-cwd does not exist)')
        assert.deepEqual(eventTypes(run.events), ['exited'])
      })

      it('reports a log that cannot be opened as a spawn error', async (t) => {
        const run = startTestRun(t, executor, { argv: ['true'], outputPath: '/nonexistent/taskyard-logs/run.log' })
        assert.deepEqual(withoutAt(await run.exited), {
          type: 'exited',
          exitCode: null,
          signal: null,
          reason: 'exit',
          spawnError: "ENOENT: no such file or directory, open '/nonexistent/taskyard-logs/run.log'",
        })
        assert.deepEqual(eventTypes(run.events), ['exited'])
      })

      it('reports an empty argv as a spawn error', async (t) => {
        const run = startTestRun(t, executor, { argv: [] })
        assert.equal((await run.exited).spawnError, 'argv is empty')
      })
    })

    describe('what the process gets', () => {
      it('passes argv without a shell, resolves argv[0] on the run PATH, and gives only the run env and cwd', async (t) => {
        const literal = startTestRun(t, executor, { argv: ['printf', '%s|', 'a b', '$HOME', '*'] })
        await literal.exited
        assert.equal(literal.output(), 'a b|$HOME|*|')

        const env = startTestRun(t, executor, {
          argv: ['sh', '-c', 'pwd; echo "$GREETING|$HOME|$PATH"'],
          env: { PATH: TEST_PATH, GREETING: 'hi' },
        })
        await env.exited
        assert.equal(env.output(), `${fs.realpathSync(env.spec.cwd)}\nhi||${TEST_PATH}\n`)
      })

      it('writes stdout and stderr to the log in the order they were written, appending to what is there', async (t) => {
        const first = startTestRun(t, executor, { argv: ['sh', '-c', 'echo a; echo b >&2; echo c'] })
        await first.exited
        assert.equal(first.output(), 'a\nb\nc\n')
        const second = startTestRun(t, executor, {
          argv: ['sh', '-c', 'echo d >&2; echo e'],
          outputPath: first.spec.outputPath,
        })
        await second.exited
        assert.equal(first.output(), 'a\nb\nc\nd\ne\n')
      })

      it('delivers writeInput to stdin', { skip: impl.noInput ?? false }, async (t) => {
        const run = startTestRun(t, executor, { argv: ['head', '-n1'] })
        run.handle.writeInput('hello\n')
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: 0, signal: null, reason: 'exit' })
        assert.equal(run.output(), 'hello\n')
        run.handle.writeInput('after the end is ignored\n')
      })

      it('gives a run that is not interactive stdin at end-of-file from the start; input to it is ignored', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'if read line; then echo "got $line"; else echo eof; fi'], interactive: false })
        run.handle.writeInput('never read\n')
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: 0, signal: null, reason: 'exit' })
        assert.equal(run.output(), 'eof\n')
      })

      it('closeInput ends stdin after what was written', { skip: impl.noInput ?? false }, async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'cat; echo done'] })
        run.handle.writeInput('a\n')
        run.handle.writeInput('b\n')
        run.handle.closeInput()
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: 0, signal: null, reason: 'exit' })
        assert.equal(run.output(), 'a\nb\ndone\n')
        run.handle.closeInput()
      })

      it('ignores input for a process that closed its stdin (EPIPE)', { skip: impl.noInput ?? false }, async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'exec 0<&-; echo closed; exec sleep 1000'] })
        await run.outputMatching((text) => text === 'closed\n')
        for (let i = 0; i < 3; i++) run.handle.writeInput('nobody reads this\n')
        await run.handle.stop()
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: null, signal: 'SIGTERM', reason: 'stopped' })
      })

      it('can be followed while it writes: the chunks add up to the whole log, the last one complete', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'for i in 1 2 3; do echo "line $i"; done'] })
        const chunks = []
        for await (const chunk of followLog(
          run.spec.outputPath,
          0,
          run.exited.then(() => undefined),
          { pollMs: 20 },
        )) {
          chunks.push(chunk)
        }
        assert.equal(chunks.map((chunk) => chunk.text).join(''), 'line 1\nline 2\nline 3\n')
        assert.deepEqual(
          chunks.map((chunk) => chunk.complete),
          [...chunks.slice(1).map(() => false), true],
        )
        assert.equal(chunks.at(-1)?.offset, 21)
      })
    })

    describe('stop, timeout, pause', () => {
      it('stop() ends the whole group, grandchildren included, and resolves after exited', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'sleep 1000 & echo $!; sleep 1000'] })
        const grandchild = Number(await run.outputMatching((text) => text.endsWith('\n')))
        assert.equal(isRunning(grandchild), true)
        await run.handle.stop()
        assert.equal(run.events.at(-1)?.type, 'exited')
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: null, signal: 'SIGTERM', reason: 'stopped' })
        assert.equal(isRunning(grandchild), false)
        assert.equal(isRunning(run.handle.pid), false)
        assert.ok(followsContractOrder(run.events), eventTypes(run.events).join())
      })

      it('stop() right after start() still reports started, then stopped', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sleep', '1000'] })
        await run.handle.stop()
        assert.deepEqual(
          eventTypes(run.events).filter((type) => type !== 'sample'),
          ['started', 'exited'],
        )
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: null, signal: 'SIGTERM', reason: 'stopped' })
        await run.handle.stop() // a second stop finds the run over and resolves at once
      })

      it('pause() stops every process of the group; resume() continues them and the output goes on', { skip: impl.noInput ?? false }, async (t) => {
        const run = startTestRun(t, executor, {
          argv: ['sh', '-c', 'sleep 1000 & echo $!; read line; echo "got $line"; kill $!'],
        })
        const child = Number(await run.outputMatching((text) => text.endsWith('\n')))
        // The runner's handle learns the pid from 'started', which may arrive after the output.
        const { pid } = await run.started
        await settled(pid, child)
        run.handle.pause()
        await waitForPaused(pid, kind)
        await waitForPaused(child, kind)
        run.handle.resume()
        await waitForResumed(pid, kind)
        await waitForResumed(child, kind)
        run.handle.writeInput('more\n')
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: 0, signal: null, reason: 'exit' })
        assert.equal(run.output(), `${child}\ngot more\n`)
      })

      it('stop() ends a paused run (it is continued first so SIGTERM can act)', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'echo ready; sleep 1000'] })
        await run.outputMatching((text) => text === 'ready\n')
        const { pid } = await run.started
        await settled(pid)
        run.handle.pause()
        await waitForPaused(pid, kind)
        await run.handle.stop()
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: null, signal: 'SIGTERM', reason: 'stopped' })
      })

      it('ends a run that outlives timeoutMs with reason timeout', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'sleep 1000'], timeoutMs: 100 })
        const exited = await run.exited
        const started = await run.started
        assert.deepEqual(withoutAt(exited), { type: 'exited', exitCode: null, signal: 'SIGTERM', reason: 'timeout' })
        assert.ok(exited.at - started.at >= 99, `ended after ${exited.at - started.at} ms`)
      })

      it('SIGKILLs a group that ignores SIGTERM once the grace period is over', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', "trap '' TERM; echo ready; sleep 1000"], killGraceMs: 300 })
        await run.outputMatching((text) => text === 'ready\n')
        const stoppedAt = Date.now()
        await run.handle.stop()
        const exited = await run.exited
        assert.deepEqual(withoutAt(exited), { type: 'exited', exitCode: null, signal: 'SIGKILL', reason: 'stopped' })
        assert.ok(exited.at - stoppedAt >= 299, `ended after ${exited.at - stoppedAt} ms`)
      })

      it('gives a leftover that ignores SIGTERM the rest of the grace period after the leader died, then SIGKILLs it and records SIGKILL', async (t) => {
        const run = startTestRun(t, executor, {
          argv: ['sh', '-c', `sh -c "trap '' TERM; echo ready; exec sleep 1000" & wait`],
          killGraceMs: 300,
        })
        await run.outputMatching((text) => text === 'ready\n')
        const { pid } = await run.started
        const leftover = readChildrenSync(pid)
        assert.equal(leftover.length, 1)
        const stoppedAt = Date.now()
        await run.handle.stop()
        const exited = await run.exited
        // The leader died of SIGTERM, but the run ended when its last process died: of SIGKILL.
        assert.deepEqual(withoutAt(exited), { type: 'exited', exitCode: null, signal: 'SIGKILL', reason: 'stopped' })
        assert.ok(exited.at - stoppedAt >= 299, `ended after ${exited.at - stoppedAt} ms`)
        assert.equal(isRunning(leftover[0] as number), false)
      })

      it('kills what the run left in its group when it exits by itself', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'sleep 1000 & echo $!'] })
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: 0, signal: null, reason: 'exit' })
        const background = Number(run.output())
        assert.ok(background > 1)
        assert.equal(isRunning(background), false)
      })

      it('stop() also ends a descendant that moved to a session of its own', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'setsid sleep 1000 & echo $!; sleep 1000'] })
        const escaped = Number(await run.outputMatching((text) => text.endsWith('\n')))
        await waitForPgrp(escaped, escaped)
        await run.handle.stop()
        assert.equal(isRunning(escaped), false)
      })
    })

    describe('memory samples', () => {
      it('reports the resident memory of the whole process tree', { skip: impl.noInput ?? false }, async (t) => {
        // python3 is a child of sh (the `; echo done` keeps sh from exec-ing it), so only a sum over
        // the tree can reach 50 MiB: sh itself holds about one.
        const script = "import sys; b = b'x' * (60 << 20); sys.stdin.readline()"
        const run = startTestRun(t, executor, { argv: ['sh', '-c', `python3 -c "${script}"; echo done`], sampleIntervalMs: 20 })
        const isLarge = (event: RunEvent): event is SampleEvent => isSample(event) && event.rssBytes >= 50 * MiB
        const large = await Promise.race([run.event(isLarge), run.exited])
        assert.equal(large.type, 'sample', run.output())
        run.handle.writeInput('\n')
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: 0, signal: null, reason: 'exit' })
        assert.equal(run.output(), 'done\n')
        assert.ok(followsContractOrder(run.events), eventTypes(run.events).join())
      })

      it('takes a first sample at once, without waiting for the interval', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sleep', '1000'], sampleIntervalMs: 60_000 })
        const sample = await run.event(isSample)
        assert.ok(sample.rssBytes > 0)
        await run.handle.stop()
        assert.deepEqual(eventTypes(run.events), ['started', 'sample', 'exited'])
      })
    })

    describe('processes that left the group', () => {
      // `( … & )` forks a subshell that starts the process and exits at once: the survivor is
      // re-parented to init in a session of its own, linked to the run by neither group nor parent.
      const doubleFork = (inner: string): string => `( setsid sh -c '${inner}' & ) ; `

      it('pause() freezes a process that left the group by a double fork, resume() continues it', { skip: impl.noInput ?? false }, async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', `${doubleFork('echo $$; exec sleep 1000')}read line; echo "got $line"`] })
        const escaped = Number(await run.outputMatching((text) => text.endsWith('\n')))
        const { pid } = await run.started
        await waitForPgrp(escaped, escaped)
        assert.notEqual(readProcEntrySync(escaped)?.ppid, pid)
        await settled(pid, escaped)
        run.handle.pause()
        await waitForPaused(pid, kind)
        await waitForPaused(escaped, kind)
        run.handle.resume()
        await waitForResumed(escaped, kind)
        run.handle.writeInput('on\n')
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: 0, signal: null, reason: 'exit' })
        if (kind !== 'none') assert.equal(isRunning(escaped), false) // the cgroup's leftovers die with the run
      })

      it('stop() ends processes that left by a double fork and by nohup setsid … & disown', async (t) => {
        const run = startTestRun(t, executor, {
          argv: ['sh', '-c', `${doubleFork('echo $$; exec sleep 1000')}nohup setsid sh -c 'echo $$; exec sleep 1000' >/dev/null 2>&1 & echo $!; sleep 1000`],
        })
        const text = await run.outputMatching((output) => output.split('\n').length === 3)
        const pids = text.trim().split('\n').map(Number)
        assert.equal(pids.length, 2)
        for (const pid of pids) await waitForPgrp(pid, pid)
        await run.handle.stop()
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: null, signal: 'SIGTERM', reason: 'stopped' })
        for (const pid of pids) assert.equal(isRunning(pid), false, `process ${pid} survived the stop`)
      })

      it('stop() ends what a SIGTERM handler starts in a new session', async (t) => {
        const run = startTestRun(t, executor, {
          argv: ['sh', '-c', `trap 'setsid sh -c "echo \\$\\$ > spawned; exec sleep 1000" & wait; exit 0' TERM; sleep 1000 & echo ready; wait`],
        })
        await run.outputMatching((text) => text === 'ready\n')
        await run.handle.stop()
        await run.exited
        const spawned = Number(fs.readFileSync(path.join(run.spec.cwd, 'spawned'), 'utf8'))
        assert.ok(spawned > 1)
        assert.equal(isRunning(spawned), false, `process ${spawned}, started by the SIGTERM handler, survived`)
      })
    })

    describe('runs this server no longer supervises (crash recovery)', () => {
      it("killOrphanedRun ends the group and its survivors after a restart, and only this installation's run", async (t) => {
        const script = `( setsid sh -c 'echo $$; exec sleep 1000' & ) ; sleep 1000 & wait`
        const run = startTestRun(t, executor, { runId: 41, argv: ['sh', '-c', script] })
        const survivor = Number(await run.outputMatching((text) => text.endsWith('\n')))
        const { pid } = await run.started
        await waitForPgrp(survivor, survivor)
        const runCgroup = kind === 'none' ? null : cgroupDirectory(pid, kind)
        // Another installation's run with the same id must be left alone.
        const other = await impl.create({ containment: kind, installation: newInstallation() })
        t.after(() => other.close?.())
        const bystander = startTestRun(t, other, { runId: 41, argv: ['sleep', '1000'] })
        const { pid: bystanderPid } = await bystander.started

        // A second executor of the same installation is what a restarted server has.
        const restarted = await impl.create({ containment: kind, installation })
        t.after(() => restarted.close?.())
        assert.equal(executor.isGroupAlive(pid), true)
        await restarted.killOrphanedRun(41, pid)
        assert.equal(isRunning(survivor), false, 'the survivor outlived the restart')
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: null, signal: 'SIGKILL', reason: 'exit' })
        await waitUntil(() => !restarted.isGroupAlive(pid), `group ${pid} is still alive`)
        assert.equal(isRunning(bystanderPid), true)
        if (kind !== 'none') {
          assert.match(runCgroup ?? '', /\/taskyard\/i[0-9a-f]{16}\/run-41$/)
          assert.equal(fs.existsSync(runCgroup as string), false, 'the run cgroup was not removed')
          assert.equal(fs.existsSync(cgroupDirectory(bystanderPid, kind) as string), true)
        }
      })

      it('killOrphanedRun leaves a reused pid alone: a process without the run markers survives', async () => {
        // The pid stored for run 43 now names an unrelated process (another run's, here).
        const stranger = spawn('sleep', ['1000'], { detached: true, stdio: 'ignore', env: { PATH: TEST_PATH, TASKYARD_RUN_ID: '44' } })
        try {
          const pid = stranger.pid as number
          await waitUntil(() => readEnviron(pid)?.includes('TASKYARD_RUN_ID=44') === true, 'the stranger never started')
          await executor.killOrphanedRun(43, pid)
          assert.equal(isRunning(pid), true)
        } finally {
          stranger.kill('SIGKILL')
        }
      })

      it('never takes init, the caller own group or a non-pgid for a live run group', () => {
        for (const pgid of [0, 1, -1, 1.5, Number.NaN]) assert.equal(executor.isGroupAlive(pgid), false, String(pgid))
        assert.equal(executor.isGroupAlive(readProcEntrySync(process.pid)?.pgrp ?? process.pid), false)
      })
    })

    describe('output cap', () => {
      it('keeps exactly maxOutputBytes, adds one marker line, and lets the run go on', async (t) => {
        const run = startTestRun(t, executor, {
          argv: ['sh', '-c', 'head -c 300000 /dev/zero | tr "\\0" a; echo late >&2; head -c 5000 /dev/zero; echo done > after'],
          maxOutputBytes: 100_000,
        })
        const exited = await run.exited
        assert.deepEqual(withoutAt(exited), { type: 'exited', exitCode: 0, signal: null, reason: 'exit', outputTruncated: true })
        const marker = '\n[taskyard] output truncated: the log reached its limit of 100000 bytes; later output was dropped\n'
        const log = fs.readFileSync(run.spec.outputPath, 'latin1')
        assert.equal(log.length, 100_000 + marker.length)
        assert.equal(log, 'a'.repeat(100_000) + marker)
        // It wrote past the cap and then went on to its last command.
        assert.equal(fs.readFileSync(path.join(run.spec.cwd, 'after'), 'utf8'), 'done\n')
      })

      it('writes everything, without a marker, when the output stays under the cap', async (t) => {
        const first = startTestRun(t, executor, { argv: ['sh', '-c', 'echo earlier'] })
        await first.exited
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'printf 12345'], maxOutputBytes: 5, outputPath: first.spec.outputPath })
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: 0, signal: null, reason: 'exit', outputTruncated: false })
        assert.equal(first.output(), 'earlier\n12345')
      })

      it('a capped run still stops, pauses and reports its own output order', async (t) => {
        const run = startTestRun(t, executor, {
          // The stop waits until the background child is sleep itself: a SIGTERM before it forks,
          // or while the forked shell still has the trap's handler (it resets it, then execs),
          // would be lost on it, and it would outlive the trap's exit until the SIGKILL deadline.
          argv: ['sh', '-c', "trap 'echo bye; exit 0' TERM; echo a; echo b >&2; sleep 1000 & echo $! > sleeper; echo ready; wait"],
          maxOutputBytes: 1_000,
        })
        await run.outputMatching((text) => text.endsWith('ready\n'))
        const sleeper = Number(fs.readFileSync(path.join(run.spec.cwd, 'sleeper'), 'utf8'))
        await waitUntil(() => readProcEntrySync(sleeper)?.name === 'sleep', `process ${sleeper} never became sleep`)
        await run.handle.stop()
        const exited = await run.exited
        assert.deepEqual(withoutAt(exited), { type: 'exited', exitCode: 0, signal: null, reason: 'stopped', outputTruncated: false })
        assert.equal(run.output(), 'a\nb\nready\nbye\n')
      })
    })

    describe('memory from the cgroup', () => {
      const skip = hasMemory ? false : `skipped: ${kind} has no memory controller on this machine`
      it(`reports the peak of a sub-second run in exited.peakRssBytes${skip ? ` (${skip})` : ''}`, { skip }, async (t) => {
        const run = startTestRun(t, executor, { argv: ['python3', '-c', "b = b'x' * (80 << 20)"] })
        const exited = await run.exited
        assert.equal(exited.exitCode, 0)
        assert.ok((exited.peakRssBytes ?? 0) >= 80 * MiB, `peak ${exited.peakRssBytes}`)
        assert.ok((exited.peakRssBytes ?? 0) < 400 * MiB, `peak ${exited.peakRssBytes}`)
      })

      it(`does not count the page cache of its output as the run's memory${skip ? ` (${skip})` : ''}`, { skip }, async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'head -c 60000000 /dev/zero'] })
        const exited = await run.exited
        assert.equal(fs.statSync(run.spec.outputPath).size, 60_000_000)
        assert.ok((exited.peakRssBytes ?? 0) > 0 && (exited.peakRssBytes ?? 0) < 30 * MiB, `peak ${exited.peakRssBytes}`)
      })

      it(
        `ends a run that passes memoryLimitBytes with reason memory_limit${skip ? ` (${skip})` : ''}`,
        { skip: skip || (impl.peakOverLimit ?? false) },
        async (t) => {
          const run = startTestRun(t, executor, { argv: ['python3', '-c', "b = b'x' * (200 << 20); print('survived')"], memoryLimitBytes: 64 * MiB })
          const exited = await run.exited
          assert.deepEqual(withoutAt(exited), { type: 'exited', exitCode: null, signal: 'SIGKILL', reason: 'memory_limit' })
          assert.ok((exited.peakRssBytes ?? 0) <= 64 * MiB, `peak ${exited.peakRssBytes}`)
          assert.equal(run.output(), '')
        },
      )

      it(`a run under its memory limit ends normally${skip ? ` (${skip})` : ''}`, { skip }, async (t) => {
        const run = startTestRun(t, executor, { argv: ['python3', '-c', "b = b'x' * (10 << 20); print('ok')"], memoryLimitBytes: 128 * MiB })
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: 0, signal: null, reason: 'exit' })
        assert.equal(run.output(), 'ok\n')
      })

      it(`refuses a memory limit it cannot enforce${hasMemory ? ' (skipped: this containment enforces limits)' : ''}`, { skip: hasMemory }, async (t) => {
        const run = startTestRun(t, executor, { argv: ['true'], memoryLimitBytes: 64 * MiB })
        const exited = await run.exited
        assert.match(exited.spawnError ?? '', /^a memory limit cannot be enforced here: /)
        assert.deepEqual(eventTypes(run.events), ['exited'])
      })
    })

    describe('the account and the file system a run gets', () => {
      const notRoot = impl.noAccountOrIsolation ?? (process.getuid?.() === 0 ? false : 'skipped: the tests do not run as root')
      const secretDir = (t: { after(fn: () => void): void }): string => {
        const dir = fs.mkdtempSync('/tmp/taskyard-secret-')
        t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
        fs.chmodSync(dir, 0o755)
        fs.writeFileSync(path.join(dir, 'secret.key'), 'top secret\n', { mode: 0o600 })
        return dir
      }

      it(
        `runAs runs it as that uid/gid without supplementary groups; a 0600 root file is unreadable${notRoot ? ` (${notRoot})` : ''}`,
        { skip: notRoot },
        async (t) => {
          const secrets = secretDir(t)
          const run = startTestRun(t, executor, {
            argv: ['sh', '-c', `id -u; id -g; cat ${secrets}/secret.key 2>/dev/null || echo denied; echo ready; exec sleep 1000`],
            runAs: { uid: 65534, gid: 65534 },
          })
          fs.chmodSync(run.spec.cwd, 0o755)
          await run.outputMatching((text) => text.endsWith('ready\n'))
          const { pid } = await run.started
          const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
          assert.match(status, /^Uid:\t65534\t65534\t65534\t65534$/m)
          assert.match(status, /^Gid:\t65534\t65534\t65534\t65534$/m)
          assert.match(status, /^Groups:\s*$/m)
          assert.equal(run.output(), '65534\n65534\ndenied\nready\n')
          await run.handle.stop()
          assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: null, signal: 'SIGTERM', reason: 'stopped' })
        },
      )

      const noIsolation = notRoot || (machineIsolation() === null ? 'skipped: no mount namespaces on this machine' : false)
      it(
        `isolation hides directories, binds writable and read-only paths back, with runAs${noIsolation ? ` (${noIsolation})` : ''}`,
        { skip: noIsolation },
        async (t) => {
          assert.ok(executor.isolation !== null)
          const data = secretDir(t)
          const work = path.join(data, 'tasks', '7')
          const envs = path.join(data, 'envs')
          fs.mkdirSync(work, { recursive: true, mode: 0o755 })
          fs.mkdirSync(envs, { mode: 0o755 })
          fs.chownSync(work, 65534, 65534)
          fs.chmodSync(path.join(data, 'tasks'), 0o755)
          fs.writeFileSync(path.join(envs, 'tool'), 'tool\n', { mode: 0o644 })
          const script = [
            `cat ${data}/secret.key 2>/dev/null || echo hidden`,
            `ls -A ${data} | tr '\\n' ' '; echo`,
            `echo written > ${work}/out && echo writable`,
            `cat ${envs}/tool`,
            `echo x 2>/dev/null > ${envs}/tool || echo read-only`,
            'id -u',
          ].join('; ')
          const run = startTestRun(t, executor, {
            argv: ['sh', '-c', script],
            cwd: work,
            runAs: { uid: 65534, gid: 65534 },
            isolation: { hidden: [data], writable: [work], readOnly: [envs] },
          })
          assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: 0, signal: null, reason: 'exit' })
          assert.equal(run.output(), 'hidden\nenvs tasks \nwritable\ntool\nread-only\n65534\n')
          assert.equal(fs.readFileSync(path.join(work, 'out'), 'utf8'), 'written\n')
          assert.equal(fs.readFileSync(path.join(data, 'secret.key'), 'utf8'), 'top secret\n')
        },
      )

      it(
        `an isolated run gets its whole environment, PERL* variables included, and they never reach the helper${noIsolation ? ` (${noIsolation})` : ''}`,
        { skip: noIsolation },
        async (t) => {
          const data = secretDir(t)
          const run = startTestRun(t, executor, {
            // A PERL5OPT that loads a module which does not exist would make a Perl helper die.
            env: { PATH: TEST_PATH, PERL5OPT: '-MTaskyardNoSuchModule', PERL5LIB: '/nonexistent', PERL_BADLANG: 'mine', TASKYARD_X: 'a=b c' },
            argv: ['sh', '-c', 'echo "$PERL5OPT|$PERL5LIB|$PERL_BADLANG|$TASKYARD_X"'],
            isolation: { hidden: [data], writable: [], readOnly: [] },
            runAs: { uid: 65534, gid: 65534 },
          })
          fs.chmodSync(run.spec.cwd, 0o755)
          assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: 0, signal: null, reason: 'exit' })
          assert.equal(run.output(), '-MTaskyardNoSuchModule|/nonexistent|mine|a=b c\n')
        },
      )

      describe('capped, isolated and under runAs (where the Perl helper is the copier too)', () => {
        const NOBODY = { uid: 65534, gid: 65534 }
        const marker = (cap: number): string => `\n[taskyard] output truncated: the log reached its limit of ${cap} bytes; later output was dropped\n`
        const helperCopies = (): boolean => /helper/.test(executor.isolation ?? '')
        const childrenOf = (pid: number): number[] => fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number)
        /**
         * The copier the helper forked: the leader's child, a process and session of its own, root.
         * A launched run's (launcher.ts) is the leader's sibling: both are children of its supervisor.
         */
        const forkedCopierOf = (pid: number): number => {
          const parent = readProcEntrySync(pid)?.ppid ?? 0
          const siblings = parent > 1 && readProcEntrySync(parent)?.name === 'perl' ? childrenOf(parent).filter((child) => child !== pid) : []
          const children = [...childrenOf(pid), ...siblings]
          const copier = children.find((child) => readProcEntrySync(child)?.name === 'perl')
          assert.ok(copier !== undefined, `no copier among the children ${children.join()} of ${pid}`)
          return copier
        }
        const startCapped = (t: TestContext, argv: string[], extra: Partial<RunSpec> = {}) => {
          const data = secretDir(t)
          // Writable by the account before the run starts (it writes here at once), and kept in its
          // namespace as a run's task directory is (the machine's /tmp is not the run's).
          const cwd = fs.mkdtempSync('/tmp/taskyard-capped-')
          fs.chmodSync(cwd, 0o777)
          t.after(() => fs.rmSync(cwd, { recursive: true, force: true }))
          const outputPath = path.join(cwd, 'run.log')
          return startTestRun(t, executor, {
            argv,
            cwd,
            outputPath,
            maxOutputBytes: 1_000,
            isolation: { hidden: [data], writable: [cwd], readOnly: [] },
            runAs: NOBODY,
            ...extra,
          })
        }

        it(
          `keeps exactly the cap and the marker; the run holds neither the log nor the copier's report, and cannot signal the copier${noIsolation ? ` (${noIsolation})` : ''}`,
          { skip: noIsolation },
          async (t) => {
            // The run learns the copier's pid from a file the test writes (its parent's too: the
            // test itself or the launcher's supervisor, both root), then tries to signal both.
            const run = startCapped(t, [
              'sh',
              '-c',
              'while [ ! -e go ]; do sleep 0.01; done; read c < copier; kill -KILL $c 2>/dev/null && echo killed || echo refused; kill -CONT $c 2>/dev/null && echo continued || echo refused; kill -KILL $PPID 2>/dev/null && echo killed || echo refused; echo ready; while [ ! -e more ]; do sleep 0.01; done; head -c 3000 /dev/zero | tr "\\0" a; echo late >&2; echo done > after',
            ])
            const { pid } = await run.started
            // A helper's copier is forked a moment after the helper starts: looked for until it is there.
            let target = process.pid
            if (helperCopies())
              await waitUntil(() => {
                try {
                  target = forkedCopierOf(pid)
                  return true
                } catch {
                  return false
                }
              }, `no copier of ${pid} appeared`)
            fs.writeFileSync(path.join(run.spec.cwd, 'copier'), `${target}\n`)
            fs.writeFileSync(path.join(run.spec.cwd, 'go'), '')
            await run.outputMatching((text) => text.endsWith('ready\n'))
            const fds = fs.readdirSync(`/proc/${pid}/fd`)
            assert.equal(fds.includes('3'), false, `the command has fd 3: ${fds.join()}`)
            for (const fd of fds) assert.notEqual(fs.readlinkSync(`/proc/${pid}/fd/${fd}`), run.spec.outputPath, `fd ${fd} is the log`)
            if (helperCopies()) {
              const copier = forkedCopierOf(pid)
              const stat = fs.readFileSync(`/proc/${copier}/stat`, 'latin1')
              const [, , pgrp, session] = stat
                .slice(stat.lastIndexOf(')') + 2)
                .split(' ')
                .map(Number)
              assert.deepEqual({ pgrp, session }, { pgrp: copier, session: copier })
              assert.match(fs.readFileSync(`/proc/${copier}/status`, 'utf8'), /^Uid:\t0\t0\t0\t0$/m)
              assert.equal(
                readEnviron(copier)?.some((entry) => entry.startsWith('TASKYARD_RUN_ID=')),
                false,
              )
              if (kind !== 'none') assert.equal(cgroupDirectory(copier, kind), cgroupDirectory(pid, kind))
            }
            fs.writeFileSync(path.join(run.spec.cwd, 'more'), '')
            assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: 0, signal: null, reason: 'exit', outputTruncated: true })
            const head = 'refused\nrefused\nrefused\nready\n'
            assert.equal(run.output(), head + 'a'.repeat(1_000 - head.length) + marker(1_000))
            assert.equal(fs.readFileSync(path.join(run.spec.cwd, 'after'), 'utf8'), 'done\n')
          },
        )

        it(
          `stop() lets the copier write what the run writes while it handles SIGTERM, then it is gone${noIsolation ? ` (${noIsolation})` : ''}`,
          { skip: noIsolation },
          async (t) => {
            const run = startCapped(t, ['sh', '-c', "trap 'echo bye; exit 0' TERM; echo a; echo b >&2; sleep 1000 & echo $! > sleeper; echo ready; wait"])
            await run.outputMatching((text) => text.endsWith('ready\n'))
            const { pid } = await run.started
            const copier = helperCopies() ? forkedCopierOf(pid) : null
            const sleeper = Number(fs.readFileSync(path.join(run.spec.cwd, 'sleeper'), 'utf8'))
            await waitUntil(() => readProcEntrySync(sleeper)?.name === 'sleep', `process ${sleeper} never became sleep`)
            await run.handle.stop()
            assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: 0, signal: null, reason: 'stopped', outputTruncated: false })
            assert.equal(run.output(), 'a\nb\nready\nbye\n')
            // Its end-of-file on fd 3 comes as it exits, after its last write: gone a moment later.
            if (copier !== null) await waitUntil(() => !isRunning(copier), `the copier ${copier} outlived its run`)
          },
        )

        it(
          `the SIGKILL after the grace spares the copier: what the run wrote meanwhile is kept${noIsolation ? ` (${noIsolation})` : ''}`,
          { skip: noIsolation },
          async (t) => {
            const run = startCapped(t, ['sh', '-c', "exec 2>/dev/null; trap 'echo term' TERM; echo ready; while :; do sleep 0.05; done"], { killGraceMs: 300 })
            await run.outputMatching((text) => text === 'ready\n')
            await run.handle.stop()
            assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: null, signal: 'SIGKILL', reason: 'stopped', outputTruncated: false })
            assert.equal(run.output(), 'ready\nterm\n')
          },
        )

        it(
          `pause() and resume() act on the run; the output goes on after resume${noIsolation ? ` (${noIsolation})` : ''}`,
          { skip: noIsolation || (impl.noInput ?? false) },
          async (t) => {
            const run = startCapped(t, ['sh', '-c', 'sleep 1000 & echo $!; read line; echo "got $line"; kill $!'])
            const child = Number(await run.outputMatching((text) => text.endsWith('\n')))
            const { pid } = await run.started
            const copier = helperCopies() ? forkedCopierOf(pid) : null
            await settled(pid, child)
            run.handle.pause()
            await waitForPaused(pid, kind)
            await waitForPaused(child, kind)
            // Without cgroups the copier is not the run's to stop (with them it is frozen with the cgroup, as it always was).
            if (copier !== null && kind === 'none') assert.notEqual(processState(copier), 'T')
            run.handle.resume()
            await waitForResumed(pid, kind)
            await waitForResumed(child, kind)
            run.handle.writeInput('more\n')
            assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: 0, signal: null, reason: 'exit', outputTruncated: false })
            assert.equal(run.output(), `${child}\ngot more\n`)
          },
        )
      })

      it(`an isolated run keeps its pid, its signal and its containment${noIsolation ? ` (${noIsolation})` : ''}`, { skip: noIsolation }, async (t) => {
        const data = secretDir(t)
        const run = startTestRun(t, executor, {
          argv: ['sh', '-c', `( setsid sh -c 'echo $$; exec sleep 1000' & ) ; echo $$; sleep 1000`],
          isolation: { hidden: [data], writable: [], readOnly: [] },
          runAs: { uid: 65534, gid: 65534 },
        })
        fs.chmodSync(run.spec.cwd, 0o755)
        const text = await run.outputMatching((output) => output.split('\n').length === 3)
        const { pid } = await run.started
        const [first, second] = text.trim().split('\n').map(Number) as [number, number]
        const escaped = first === pid ? second : first
        assert.ok([first, second].includes(pid), `${text} does not name the leader ${pid}`)
        await run.handle.stop()
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: null, signal: 'SIGTERM', reason: 'stopped' })
        assert.equal(isRunning(escaped), false)
      })
    })
  })
}

/** Isolation is a property of the machine, known before the suite's executor exists. */
function machineIsolation(): string | null {
  return createLocalExecutor({ containment: 'none' }).isolation
}

/**
 * Waits until each process sleeps (S): a shell caught by SIGSTOP between vfork() and its child's
 * exec() stays in D until the stopped child goes on, so pausing earlier would not show T.
 */
async function settled(...pids: number[]): Promise<void> {
  for (const pid of pids) await waitForState(pid, ['S'])
}
