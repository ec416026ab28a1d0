/**
 * Issue 10: the runner process is the default executor, so its death must lose no run. A server
 * whose runner is SIGKILLed while a run is active records that run abnormal with the cause, kills
 * its processes, and starts the next run in a new runner.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { describe, it } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { RUNNER_LOST_RUN } from '../../src/executor/runner/protocol.ts'
import { createTestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

/** Pids of this process's children running runner-main.ts (the test app's runner). */
function runnerPids(): number[] {
  const found: number[] = []
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid !== process.pid) continue
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('runner-main.ts')) found.push(Number(name))
    } catch {
      // gone meanwhile
    }
  }
  return found
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function waitFor(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (done()) return
    await delay(10)
  }
  assert.fail(what)
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: the runner process dies`, { timeout: 60_000 }, () => {
    it('records the active run abnormal with the cause, kills its processes, and runs the next one in a new runner', async (t) => {
      const app = await createTestApp(t, { dialect })
      const [runner] = runnerPids()
      assert.ok(runner !== undefined, 'the server runs its runs through a runner process by default')
      const created = await app.createTask({ conda_env: 'base', task_name: 'long', command: 'sleep 1000' })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const taskId = created.body.task.task_id as number
      const { runId, pid } = await app.runningRun(taskId)
      assert.ok(isAlive(pid))

      process.kill(runner, 'SIGKILL')
      await app.runFinished(runId)
      const run = await app.store.runs.findById(runId)
      assert.equal(run?.status, 'abnormal')
      assert.equal(run?.error, RUNNER_LOST_RUN)
      await waitFor(`the run's process ${pid} is still alive`, () => !isAlive(pid))

      const next = await app.createTask({ conda_env: 'base', task_name: 'after', command: 'echo after' })
      assert.equal(next.status, 201, JSON.stringify(next.body))
      const nextRun = (await app.store.runs.listForTask(next.body.task.task_id, 1))[0]!
      await app.runFinished(nextRun.id)
      assert.equal((await app.store.runs.findById(nextRun.id))?.status, 'completed')
      const [second] = runnerPids()
      assert.ok(second !== undefined && second !== runner, 'a new runner was started')
    })
  })
}
