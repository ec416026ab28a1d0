/**
 * The Executor contract's cases, run against every implementation (local-executor.test.ts,
 * runner-executor.test.ts): each must behave the same for every method.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, before, describe, it } from 'node:test'
import type { Executor, RunEvent } from '../../src/executor/executor.ts'
import { parseProcStat } from '../../src/executor/local/proc-table.ts'
import { followLog } from '../../src/logs/follow-log.ts'
import {
  followsContractOrder,
  eventTypes,
  isRunning,
  isSample,
  startTestRun,
  TEST_PATH,
  waitForPgrp,
  waitForState,
  type SampleEvent,
} from './start-test-run.ts'

export interface ExecutorUnderTest {
  /** Used in test names: '<name> executor'. */
  name: string
  create(): Promise<Executor & { close?(): Promise<void> }>
}

const MiB = 1024 * 1024

/** Event fields without the timestamp, which tests compare by order instead. */
const withoutAt = (event: RunEvent): Omit<RunEvent, 'at'> => {
  const { at: _at, ...rest } = event
  return rest
}

export function describeExecutorContract(impl: ExecutorUnderTest): void {
  describe(`${impl.name} executor`, () => {
    let executor!: Executor & { close?(): Promise<void> }
    before(async () => {
      executor = await impl.create()
    })
    after(async () => {
      await executor.close?.()
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

      it('reports a command that cannot be found as a spawn error, without a started event', async (t) => {
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

      it('delivers writeInput to stdin', async (t) => {
        const run = startTestRun(t, executor, { argv: ['head', '-n1'] })
        run.handle.writeInput('hello\n')
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: 0, signal: null, reason: 'exit' })
        assert.equal(run.output(), 'hello\n')
        run.handle.writeInput('after the end is ignored\n')
      })

      it('ignores input for a process that closed its stdin (EPIPE)', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'exec 0<&-; echo closed; exec sleep 1000'] })
        await run.outputMatching((text) => text === 'closed\n')
        for (let i = 0; i < 3; i++) run.handle.writeInput('nobody reads this\n')
        await run.handle.stop()
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: null, signal: 'SIGTERM', reason: 'stopped' })
      })

      it('can be followed while it writes: the chunks add up to the whole log, the last one complete', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'for i in 1 2 3; do echo "line $i"; done'] })
        const chunks = []
        for await (const chunk of followLog(run.spec.outputPath, 0, run.exited.then(() => undefined), { pollMs: 20 })) {
          chunks.push(chunk)
        }
        assert.equal(chunks.map((chunk) => chunk.text).join(''), 'line 1\nline 2\nline 3\n')
        assert.deepEqual(chunks.map((chunk) => chunk.complete), [...chunks.slice(1).map(() => false), true])
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
        assert.deepEqual(eventTypes(run.events).filter((type) => type !== 'sample'), ['started', 'exited'])
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: null, signal: 'SIGTERM', reason: 'stopped' })
        await run.handle.stop() // a second stop finds the run over and resolves at once
      })

      it('pause() stops every process of the group; resume() continues them and the output goes on', async (t) => {
        const run = startTestRun(t, executor, {
          argv: ['sh', '-c', 'sleep 1000 & echo $!; read line; echo "got $line"; kill $!'],
        })
        const child = Number(await run.outputMatching((text) => text.endsWith('\n')))
        await settled(run.handle.pid, child)
        run.handle.pause()
        assert.equal(await waitForState(run.handle.pid, ['T']), 'T')
        assert.equal(await waitForState(child, ['T']), 'T')
        run.handle.resume()
        await waitForState(run.handle.pid, ['S', 'R'])
        await waitForState(child, ['S', 'R'])
        run.handle.writeInput('more\n')
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: 0, signal: null, reason: 'exit' })
        assert.equal(run.output(), `${child}\ngot more\n`)
      })

      it('stop() ends a paused run (it is continued first so SIGTERM can act)', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'echo ready; sleep 1000'] })
        await run.outputMatching((text) => text === 'ready\n')
        await settled(run.handle.pid)
        run.handle.pause()
        await waitForState(run.handle.pid, ['T'])
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

      it('gives a leftover that ignores SIGTERM the rest of the grace period after the leader died, then SIGKILLs it', async (t) => {
        const run = startTestRun(t, executor, {
          argv: ['sh', '-c', `sh -c "trap '' TERM; echo ready; exec sleep 1000" & wait`],
          killGraceMs: 300,
        })
        await run.outputMatching((text) => text === 'ready\n')
        const leftover = readChildren(run.handle.pid)
        assert.equal(leftover.length, 1)
        const stoppedAt = Date.now()
        await run.handle.stop()
        const exited = await run.exited
        assert.deepEqual(withoutAt(exited), { type: 'exited', exitCode: null, signal: 'SIGTERM', reason: 'stopped' })
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
      it('reports the resident memory of the whole process tree', async (t) => {
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

    describe('groups it no longer supervises', () => {
      it('isGroupAlive and killGroup act on the whole group', async (t) => {
        const run = startTestRun(t, executor, { argv: ['sh', '-c', 'sleep 1000 & sleep 1000'] })
        const { pid } = await run.started
        assert.equal(readPgrp(pid), pid)
        assert.equal(executor.isGroupAlive(pid), true)
        executor.killGroup(pid)
        assert.deepEqual(withoutAt(await run.exited), { type: 'exited', exitCode: null, signal: 'SIGKILL', reason: 'exit' })
        assert.equal(executor.isGroupAlive(pid), false)
      })

      it('never takes init, the caller own group or a non-pgid for a live run group', () => {
        for (const pgid of [0, 1, -1, 1.5, Number.NaN]) assert.equal(executor.isGroupAlive(pgid), false, String(pgid))
        assert.equal(executor.isGroupAlive(readPgrp(process.pid) ?? process.pid), false)
      })
    })
  })
}

/**
 * Waits until each process sleeps (S): a shell caught by SIGSTOP between vfork() and its child's
 * exec() stays in D until the stopped child goes on, so pausing earlier would not show T.
 */
async function settled(...pids: number[]): Promise<void> {
  for (const pid of pids) await waitForState(pid, ['S'])
}

function readPgrp(pid: number): number | undefined {
  return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'))?.pgrp
}

/** Live processes whose parent is `pid`. */
function readChildren(pid: number): number[] {
  const children: number[] = []
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const entry = parseProcStat(fs.readFileSync(`/proc/${name}/stat`, 'latin1'))
      if (entry?.ppid === pid && entry.state !== 'Z') children.push(entry.pid)
    } catch {
      // gone
    }
  }
  return children
}
