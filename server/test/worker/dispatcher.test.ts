import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import type { Environments, RunEnvironment } from '../../src/environments/environments.ts'
import { EventBus } from '../../src/events/events.ts'
import { createLocalExecutor } from '../../src/executor/local/local-executor.ts'
import { createFileLogStore } from '../../src/logs/file-log-store.ts'
import { createDispatcher } from '../../src/worker/dispatcher.ts'
import { queuedRun, unlimitedSettings } from './queued-run.ts'
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

/** A process of the run's group as /proc shows it: its state letter and whether SIGSTOP is pending. */
interface Member {
  pid: number
  state: string
  sigstopPending: boolean
}

/** Every live process whose process group is `pgid` (a scan of /proc: no event exists for this). */
function groupMembers(pgid: number): Member[] {
  const members: Member[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      // After "pid (comm) ": state, ppid, pgrp.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(pgrp) !== pgid || state === 'Z') continue
      const status = readFileSync(`/proc/${name}/status`, 'utf8')
      const sigstopPending = ['SigPnd', 'ShdPnd'].some((field) => {
        const hex = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '0'
        return ((BigInt(`0x${hex}`) >> 18n) & 1n) === 1n // bit 18 is signal 19, SIGSTOP
      })
      members.push({ pid: Number(name), state: state!, sigstopPending })
    } catch {
      // gone between readdir and read
    }
  }
  return members
}

const suspended = (m: Member): boolean => m.state === 'T' || (m.state === 'D' && m.sigstopPending)

/**
 * Suspended means no process of the group can run user code again until SIGCONT: each is
 * stopped ('T'), or is inside the kernel ('D') with SIGSTOP pending, which it obeys before it
 * returns to user space. The second case is not a transient: a shell that vforked a child the
 * group stop caught before exec waits in the kernel ('D', wchan kernel_clone) for as long as
 * that child stays stopped. Polled against a deadline that only bounds a failure.
 */
async function waitForGroupSuspended(pgid: number, deadlineMs: number): Promise<Member[]> {
  const until = Date.now() + deadlineMs
  for (;;) {
    const members = groupMembers(pgid)
    if ((members.length > 0 && members.every(suspended)) || Date.now() > until) return members
    await new Promise((r) => setTimeout(r, 2))
  }
}

describe('dispatcher: actions between a claim and the spawn', () => {
  for (const action of ['stop', 'pause'] as const) {
    it(`${action} asked before the process exists is applied as soon as it does`, async (t) => {
      const opened = await sqlite.open()
      // Hooks run in the order they were added: the dispatcher (added below) must be shut down
      // before the database it writes to is closed, so the store's cleanup runs last.
      let shutdown: () => Promise<unknown> = async () => undefined
      t.after(async () => {
        await shutdown()
        await opened.cleanup()
      })
      const { store } = opened
      const { paths, task, run } = await queuedRun(t, store, 'echo $$ > pid; sleep 1000')
      const gate = gatedEnvironments()
      const bus = new EventBus()
      const dispatcher = createDispatcher({
        // Process groups: the state check below reads SIGSTOP's 'T'; cgroup freezing is the executor contract's to test.
        store,
        executor: createLocalExecutor({ containment: 'none' }),
        environments: gate.environments,
        clock: { now: () => Date.now() },
        bus,
        paths,
        logs: createFileLogStore({ dir: paths.logsDir }),
        workerId: 'test',
        onError: (e) => {
          throw e
        },
        settings: unlimitedSettings(),
      })
      shutdown = () => dispatcher.shutdown('test over')
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
        const members = await waitForGroupSuspended(started.pid, 10_000)
        assert.ok(
          members.some((m) => m.pid === started.pid),
          `the leader is in its group: ${JSON.stringify(members)}`,
        )
        assert.ok(members.every(suspended), `the process was suspended as soon as it started: ${JSON.stringify(members)}`)
        await dispatcher.stop(run.id)
      }
    })
  }
})
