/**
 * What a run's end costs in cgroup file operations (issue 10): a run whose leader was its only
 * process is over once the member list and the emptiness have been read; it is neither thawed
 * (it was never frozen), nor signalled, nor killed through the cgroup (v1: a freezer.state read
 * and two writes). A run that leaves processes behind still gets them all killed, and a paused run
 * stopped still ends. The cgroups are the machine's real ones; only the calls are recorded.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, describe, it, type TestContext } from 'node:test'
import type { RunEvent, RunSpec } from '../../src/executor/executor.ts'
import { openCgroups, type Cgroups, type RunCgroup } from '../../src/executor/local/cgroups.ts'
import { LocalRun } from '../../src/executor/local/local-run.ts'
import { createSharedProcTable } from '../../src/executor/local/shared-proc-table.ts'
import { isRunning, TEST_PATH } from './start-test-run.ts'

/** The real cgroups, with every RunCgroup method call of each run recorded by name. */
function recording(real: Cgroups): { cgroups: Cgroups; calls: string[] } {
  const calls: string[] = []
  const record = (cgroup: RunCgroup): RunCgroup =>
    new Proxy(cgroup, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown
        if (typeof value !== 'function') return value
        return (...args: unknown[]) => {
          calls.push(String(key))
          return (value as (...a: unknown[]) => unknown).apply(target, args)
        }
      },
    })
  return { cgroups: { ...real, create: (runId) => record(real.create(runId)), existing: (runId) => real.existing(runId).map(record) }, calls }
}

function run(
  t: TestContext,
  cgroups: Cgroups,
  argv: string[],
  extra: Partial<RunSpec> = {},
): { dir: string; calls: string[]; events: RunEvent[]; handle: LocalRun; exited: Promise<Extract<RunEvent, { type: 'exited' }>> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskyard-cgroup-calls-'))
  const { cgroups: recorded, calls } = recording(cgroups)
  const events: RunEvent[] = []
  const exited = Promise.withResolvers<Extract<RunEvent, { type: 'exited' }>>()
  const spec: RunSpec = {
    runId: 1,
    argv,
    cwd: dir,
    env: { PATH: TEST_PATH },
    outputPath: path.join(dir, 'run.log'),
    timeoutMs: null,
    killGraceMs: 2_000,
    sampleIntervalMs: 60_000,
    interactive: false,
    ...extra,
  }
  const handle = new LocalRun(
    spec,
    (event) => {
      events.push(event)
      if (event.type === 'exited') exited.resolve(event)
    },
    {
      procTable: createSharedProcTable(),
      cgroups: recorded,
      isolation: null,
      launcher: null,
      markers: (runId) => ({ TASKYARD_RUN_ID: String(runId), TASKYARD_INSTANCE: `test-calls-${process.pid}` }),
    },
  )
  t.after(async () => {
    await handle.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  return { dir, calls, events, handle, exited: exited.promise }
}

for (const version of ['cgroup2', 'cgroup1'] as const) {
  const { cgroups, reason } = openCgroups(version, `test-calls-${process.pid}`)
  if (cgroups) after(() => cgroups.removeParent())
  describe(`a run's cgroup file operations (${version})`, { skip: cgroups ? false : `skipped: ${reason}`, timeout: 60_000 }, () => {
    it('a run that was its only process ends with one member read and one emptiness read', async (t) => {
      const { calls, exited } = run(t, cgroups!, ['/bin/sh', '-c', 'exit 3'])
      const exit = await exited
      assert.equal(exit.exitCode, 3)
      assert.equal(exit.spawnError, undefined)
      const end = calls.slice(calls.indexOf('leave') + 1)
      assert.deepEqual(
        end.filter((name) => !['peakMemoryBytes', 'fileCacheBytes', 'oomKilled', 'remove'].includes(name)),
        ['members', 'isEmpty'],
      )
    })

    it('a leftover is still killed, and a paused run that is stopped still ends', async (t) => {
      const leftover = run(t, cgroups!, ['/bin/sh', '-c', 'sleep 60 & echo $! > left.pid; exit 0'])
      const exit = await leftover.exited
      assert.equal(exit.exitCode, 0)
      assert.ok(leftover.calls.includes('signal'), leftover.calls.join(' '))
      const leftPid = Number(fs.readFileSync(path.join(leftover.dir, 'left.pid'), 'utf8'))
      assert.ok(leftPid > 1 && !isRunning(leftPid), `the leftover ${leftPid} still runs`)
      const paused = run(t, cgroups!, ['/bin/sh', '-c', 'sleep 60 & sleep 60'], { maxOutputBytes: 1024 })
      await new Promise((resolve) => setTimeout(resolve, 300))
      paused.handle.pause()
      await paused.handle.stop()
      const stopped = await paused.exited
      assert.equal(stopped.reason, 'stopped')
      assert.ok(paused.calls.includes('freeze') && paused.calls.includes('thaw'), paused.calls.join(' '))
      assert.ok(!isRunning(paused.handle.pid))
    })
  })
}
