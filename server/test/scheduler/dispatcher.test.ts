import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import type { Environments, RunEnvironment } from '../../src/environments/environments.ts'
import { EventBus } from '../../src/events/events.ts'
import { createLocalExecutor } from '../../src/executor/local/local-executor.ts'
import { dataPaths } from '../../src/lib/paths.ts'
import { createDispatcher } from '../../src/scheduler/dispatcher.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const sqlite = testDialects().find((d) => d.name === 'sqlite')!

/**
 * Only the environment lookup is a stand-in: it holds the dispatcher between claiming a run and
 * spawning it, the window these tests are about. Store, executor and processes are real.
 */
function gatedEnvironments(): { environments: Environments; reached: Promise<void>; open(): void } {
  let open!: () => void
  let reach!: () => void
  const gate = new Promise<void>((r) => (open = r))
  const reached = new Promise<void>((r) => (reach = r))
  const environments = {
    async runEnvironment(): Promise<RunEnvironment> {
      reach()
      await gate
      return { pathPrefix: [], env: {} }
    },
  } as unknown as Environments
  return { environments, reached, open }
}

describe('dispatcher: actions between a claim and the spawn', () => {
  for (const action of ['stop', 'pause'] as const) {
    it(`${action} asked before the process exists is applied as soon as it does`, async (t) => {
      const opened = await sqlite.open()
      t.after(() => opened.cleanup())
      const { store } = opened
      const root = await mkdtemp(path.join(tmpdir(), 'taskyard-dispatch-'))
      t.after(() => rm(root, { recursive: true, force: true }))
      const paths = dataPaths(root)
      await mkdir(paths.logsDir, { recursive: true })
      const task = await store.tasks.insert({
        name: 't', source: 'file', scriptFile: 'x.py', command: 'echo $$ > pid; sleep 1000', condaEnv: 'base', requirements: null,
        cronExpression: null, delaySeconds: null, priority: 5, status: 'running', createdAt: 1, updatedAt: 1, nextRunAt: null, ownerId: null,
      })
      await mkdir(paths.taskDir(task.id), { recursive: true })
      const run = await store.runs.insert({ taskId: task.id, priority: 5, trigger: 'manual', queuedAt: 1 })
      const gate = gatedEnvironments()
      const bus = new EventBus()
      const dispatcher = createDispatcher({
        // Process groups: the state check below reads SIGSTOP's 'T'; cgroup freezing is the executor contract's to test.
        store, executor: createLocalExecutor({ containment: 'none' }), environments: gate.environments, clock: { now: () => Date.now() }, bus, paths,
        workerId: 'test', onError: (e) => { throw e },
        settings: { maxConcurrentRuns: null, runTimeoutMs: null, killGraceMs: 1000, sampleIntervalMs: 1000, childEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
      })
      t.after(() => dispatcher.shutdown('test over'))
      dispatcher.wake()
      await gate.reached
      assert.equal((await store.runs.findById(run.id))?.status, 'running', 'claimed, not yet spawned')
      if (action === 'stop') {
        const stopped = dispatcher.stop(run.id)
        gate.open()
        await stopped
        assert.equal((await store.runs.findById(run.id))?.status, 'cancelled')
      } else {
        assert.equal(dispatcher.pause(run.id), true)
        const started = await (async () => {
          const waiting = bus.waitFor('run:started', (e) => e.runId === run.id)
          gate.open()
          return waiting
        })()
        let state = ''
        for (let i = 0; i < 500 && state !== 'T'; i++) {
          const { readFileSync } = await import('node:fs')
          try {
            const stat = readFileSync(`/proc/${started.pid}/stat`, 'utf8')
            state = stat[stat.lastIndexOf(')') + 2]!
          } catch {
            state = 'gone'
          }
          if (state !== 'T') await new Promise((r) => setImmediate(r))
        }
        assert.equal(state, 'T', 'the process was suspended as soon as it started')
        await dispatcher.stop(run.id)
      }
    })
  }
})
