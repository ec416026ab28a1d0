/**
 * The launcher (executor/local/launcher.ts): what is its own beyond the executor contract (which
 * local-executor.test.ts runs through it too). The processes are real: the launcher, each run's
 * supervisor, the copier and the leader; the tests find them through /proc.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, describe, it, type TestContext } from 'node:test'
import type { Executor, RunSpec } from '../../src/executor/executor.ts'
import { createLocalExecutor } from '../../src/executor/local/local-executor.ts'
import { readEnviron } from '../../src/lib/orphan-group.ts'
import { readProcEntrySync } from '../../src/lib/proc-table.ts'
import { isRunning, startTestRun, TEST_PATH, waitUntil } from './start-test-run.ts'

const launchable = createLocalExecutor({ containment: 'none' }).isolation?.includes('helper') ?? false
const NOBODY = { uid: 65534, gid: 65534 }

const stat = (pid: number): { ppid: number; pgrp: number; session: number; name: string } => {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1')
  const [, ppid, pgrp, session] = text
    .slice(text.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number) as [number, number, number, number]
  return { ppid, pgrp, session, name: readProcEntrySync(pid)?.name ?? '' }
}
const uidOf = (pid: number): string => /^Uid:\t(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? ''
/** The run's supervisor and launcher, checked to be the Perl processes they should be before a test signals them. */
const ancestors = (pid: number): { supervisor: number; launcher: number } => {
  const supervisor = stat(pid).ppid
  const launcher = stat(supervisor).ppid
  assert.equal(stat(supervisor).name, 'perl', `the parent ${supervisor} of the leader is no supervisor`)
  assert.equal(stat(launcher).name, 'perl', `the parent ${launcher} of the supervisor is no launcher`)
  return { supervisor, launcher }
}
const childrenOf = (pid: number): number[] => fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number)

describe(
  'the launcher',
  { skip: launchable ? false : 'skipped: the Perl helper is not used here (needs root, Perl, x86-64 or arm64)', timeout: 120_000 },
  () => {
    const executor: Executor = createLocalExecutor({ launcher: true })
    const hidden = fs.mkdtempSync(path.join(os.tmpdir(), 'taskyard-launcher-hidden-'))
    after(() => fs.rmSync(hidden, { recursive: true, force: true }))

    const start = (t: TestContext, argv: string[], extra: Partial<RunSpec> = {}) => {
      const cwd = fs.mkdtempSync('/tmp/taskyard-launched-')
      fs.chmodSync(cwd, 0o777)
      t.after(() => fs.rmSync(cwd, { recursive: true, force: true }))
      return startTestRun(t, executor, {
        argv,
        cwd,
        outputPath: path.join(cwd, 'run.log'),
        interactive: false,
        maxOutputBytes: 10_000,
        runAs: NOBODY,
        env: { PATH: TEST_PATH, PERL5OPT: '-Mwarnings', PERL5LIB: '/nowhere' },
        isolation: { hidden: [hidden], writable: [cwd], readOnly: [] },
        ...extra,
      })
    }
    const waitForFile = (file: string): Promise<void> => waitUntil(() => fs.existsSync(file), `${file} never appeared`)

    it("starts the leader from a root supervisor in the launcher's session; none of the root processes carries the run's variables", async (t) => {
      const run = start(t, ['sh', '-c', 'echo "$PERL5OPT $PERL5LIB $TASKYARD_RUN_ID"; while [ ! -e go ]; do sleep 0.01; done'])
      const { pid } = await run.started
      await run.outputMatching((text) => text.endsWith('\n'))
      const { supervisor, launcher } = ancestors(pid)
      const copier = childrenOf(supervisor).find((child) => child !== pid)
      assert.ok(copier !== undefined, 'the supervisor has no copier child')
      assert.equal(uidOf(pid), String(NOBODY.uid))
      for (const root of [launcher, supervisor, copier]) {
        assert.equal(uidOf(root), '0')
        const environ = readEnviron(root) ?? []
        assert.deepEqual(
          environ.filter((entry) => entry.startsWith('PERL5') || entry.startsWith('TASKYARD_')),
          [],
          `process ${root} carries the run's variables`,
        )
      }
      // The run is a session of its own, the copier another, the supervisor the launcher's.
      assert.deepEqual([stat(pid).session, stat(pid).pgrp], [pid, pid])
      assert.deepEqual([stat(copier).session, stat(copier).pgrp], [copier, copier])
      assert.equal(stat(supervisor).session, stat(launcher).session)
      assert.equal(run.output().split(' ')[0], '-Mwarnings')
      fs.writeFileSync(path.join(run.spec.cwd, 'go'), '')
      const exited = await run.exited
      assert.equal(exited.exitCode, 0)
      // Both children reaped by the supervisor, which then ended: nothing is left, not even a zombie.
      await waitUntil(() => ![supervisor, copier, pid].some((p) => fs.existsSync(`/proc/${p}`)), 'the supervisor, copier or leader is left')
    })

    it('a launcher that dies loses no run: its supervisors report the end, and a run asked for meanwhile starts from a new launcher', async (t) => {
      const run = start(t, ['sh', '-c', 'while [ ! -e go ]; do sleep 0.01; done; echo bye; exit 7'])
      const { pid } = await run.started
      const { launcher } = ancestors(pid)
      process.kill(launcher, 'SIGKILL')
      // At once, before the executor can have seen the death: this request is written to the dead
      // launcher's pipe, never taken, and must go to the next launcher while the first run still runs.
      const next = start(t, ['sh', '-c', 'echo again'])
      const nextExit = await next.exited
      assert.deepEqual([nextExit.exitCode, nextExit.spawnError], [0, undefined])
      assert.equal(next.output(), 'again\n')
      fs.writeFileSync(path.join(run.spec.cwd, 'go'), '')
      const exited = await run.exited
      assert.deepEqual([exited.exitCode, exited.signal, exited.reason, exited.outputTruncated], [7, null, 'exit', false])
      assert.equal(run.output(), 'bye\n')
    })

    it("a supervisor that dies ends its run as lost and kills the run's processes", async (t) => {
      const run = start(t, ['sh', '-c', 'sleep 1000 & echo $! > sleeper; wait'])
      const { pid } = await run.started
      const sleeperFile = path.join(run.spec.cwd, 'sleeper')
      await waitForFile(sleeperFile)
      await waitUntil(() => fs.readFileSync(sleeperFile, 'utf8').endsWith('\n'), 'no sleeper pid')
      const sleeper = Number(fs.readFileSync(sleeperFile, 'utf8'))
      // Its launcher too: then nothing holds the events pipe and its end-of-file tells the executor.
      const { supervisor, launcher } = ancestors(pid)
      process.kill(supervisor, 'SIGKILL')
      process.kill(launcher, 'SIGKILL')
      const exited = await run.exited
      assert.match(exited.lostReason ?? '', /supervisor process died/)
      assert.equal(isRunning(pid), false)
      assert.equal(isRunning(sleeper), false)
    })

    it("a stop that comes before the leader exec'd is applied once it has", async (t) => {
      const run = start(t, ['sh', '-c', "trap 'echo term; exit 0' TERM; echo up; while :; do sleep 0.01; done"])
      await run.handle.stop()
      const exited = await run.exited
      assert.equal(exited.reason, 'stopped')
      assert.equal(run.events[0]?.type, 'started')
    })

    it('reports a killed run as its signal, not 128+n, and a missing command as the helper does (127 and its message)', async (t) => {
      const killed = start(t, ['sh', '-c', 'kill -KILL $$'])
      const exit = await killed.exited
      assert.deepEqual([exit.exitCode, exit.signal], [null, 'SIGKILL'])
      const missing = start(t, ['taskyard-no-such-command'])
      const failed = await missing.exited
      assert.deepEqual([failed.exitCode, failed.spawnError], [127, undefined])
      assert.equal(missing.output(), 'taskyard-isolate: cannot run taskyard-no-such-command: No such file or directory\n')
      const nowhere = start(t, ['sh', '-c', 'true'], { cwd: '/nonexistent/taskyard-cwd' })
      assert.equal((await nowhere.exited).spawnError, 'spawn sh ENOENT (working directory /nonexistent/taskyard-cwd does not exist)')
      assert.deepEqual(
        nowhere.events.map((event) => event.type),
        ['exited'],
      )
    })
  },
)
