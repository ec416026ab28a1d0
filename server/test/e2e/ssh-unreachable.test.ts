/**
 * Issue 12: "a lost connection ends the run as `abnormal` and the remote group is cleaned at the
 * next connection", when the server cannot be reached for a while. A real `taskyard serve` (as
 * nobody), a real OpenSSH on 127.0.0.1 whose listener is stopped and started again on the same
 * port with the same host key, `pgrep` on the host. Nothing but Taskyard's own retry connects to
 * the server once it is back: no new run, no connection test. Both dialects.
 *
 * (a) kill -9 of Taskyard while the server is unreachable, then two restarts while it still is:
 *     the sweep the first restart could not do must survive the second.
 * (b) the connection dropped under a running run, Taskyard going on: the run is closed at once.
 * (c) as (b), then the server deleted (forced): its pending sweep goes with it, file and all.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ABNORMAL_RESTART } from '../../src/services/recover-runs.ts'
import { describePids, pgrep, startRemoteRun, startTaskyardAsNobody as start, until, type Api } from '../helpers/ssh-e2e.ts'
import { sshdSkipReason, startTestSshServer, type TestSshServer } from '../helpers/ssh-server.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const isRoot = process.getuid?.() === 0
const skip = !isRoot ? 'needs root: Taskyard runs as nobody, the SSH login is root' : sshdSkipReason()

/** How long the remote processes are watched while the server is away: they must stay. */
const AWAY_MS = 1_500

/** The remote processes are alive, and stay so while the server is away. */
async function assertStillThere(pattern: string, why: string): Promise<void> {
  await new Promise((r) => setTimeout(r, AWAY_MS))
  assert.equal(pgrep(pattern).length, 2, why)
}

async function assertSweptOnReturn(sshd: TestSshServer, pattern: string, api: Api, taskId: number): Promise<void> {
  await sshd.comeBack()
  // Taskyard's retry backs off up to 30 s between tries: this waits for two of them at most.
  await until('the remote processes to end', () => pgrep(pattern).length === 0, 65_000).catch(async (error: Error) => {
    const runs = (await api.call(`/api/tasks/${taskId}/executions`)).body
    throw new Error(`${error.message}\n${describePids(pgrep(pattern))}\n${JSON.stringify(runs)}`)
  })
  // Still so a moment later: nothing restarted them.
  await new Promise((r) => setTimeout(r, 300))
  assert.deepEqual(pgrep(pattern), [])
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: a run on a registered server that cannot be reached (real server and sshd)`, { skip, timeout: 240_000 }, () => {
    let sshd: TestSshServer
    before(async () => {
      sshd = await startTestSshServer()
    })
    after(() => sshd?.stop())

    it('(a) kill -9 of Taskyard, restarts while the server is away: abnormal, and swept once the server is back', async (t) => {
      const undo: (() => unknown)[] = []
      const { dataDir, databaseUrl, pattern, first, taskId, running } = await startRemoteRun(t, dialect, sshd, undo, 'away')
      // The listener goes; the established connection, and the run on it, go on.
      await sshd.goAway()
      first.server.child.kill('SIGKILL')
      await once(first.server.child, 'exit')
      await assertStillThere(pattern, 'a killed Taskyard leaves its remote run running (what the sweep is for)')

      const second = await start(undo, dataDir, databaseUrl)
      const closed = (await second.call(`/api/tasks/${taskId}`)).body.latest_execution
      assert.equal(closed.execution_id, running.execution_id)
      assert.equal(closed.status, 'abnormal')
      assert.equal(closed.error, ABNORMAL_RESTART)
      assert.equal((await second.call(`/api/task/${running.execution_id}/log`)).body.output, 'before\n', 'the output up to the crash is kept')
      await assertStillThere(pattern, 'the server is away: nothing can end them yet')

      // The run is closed now: no recovery sees it again. The pending sweep must outlive this one too.
      second.server.child.kill('SIGKILL')
      await once(second.server.child, 'exit')
      const third = await start(undo, dataDir, databaseUrl)
      await assertStillThere(pattern, 'the server is still away')
      await assertSweptOnReturn(sshd, pattern, third, taskId)
      assert.equal((await third.call(`/api/tasks/${taskId}`)).body.latest_execution.status, 'abnormal')
    })

    it('(b) the connection drops during a run: abnormal at once, the output kept, swept once the server is back', async (t) => {
      const undo: (() => unknown)[] = []
      const { pattern, first, taskId, running } = await startRemoteRun(t, dialect, sshd, undo, 'away')
      await sshd.goAway({ dropConnections: true })
      const closed = await until('the run to be closed', async () => {
        const latest = (await first.call(`/api/tasks/${taskId}`)).body.latest_execution
        return latest.status === 'running' ? null : latest
      })
      assert.equal(closed.execution_id, running.execution_id)
      assert.equal(closed.status, 'abnormal')
      assert.match(closed.error, /SSH connection to the server was lost/)
      assert.equal((await first.call(`/api/task/${running.execution_id}/log`)).body.output, 'before\n', 'the output up to the drop is kept')
      await assertStillThere(pattern, 'the dropped connection left the remote run running (what the sweep is for)')
      await assertSweptOnReturn(sshd, pattern, first, taskId)
    })

    it('(c) a server deleted (forced) while a sweep is pending takes the sweep and its file with it', async (t) => {
      const undo: (() => unknown)[] = []
      const { dataDir, pattern, first, serverId, taskId } = await startRemoteRun(t, dialect, sshd, undo, 'deleted')
      const sweeps = path.join(dataDir, 'ssh-sweeps', `${serverId}.json`)
      await sshd.goAway({ dropConnections: true })
      await until('the run to be closed', async () => (await first.call(`/api/tasks/${taskId}`)).body.latest_execution.status !== 'running')
      await until('the sweep to be pending on file', () => existsSync(sweeps))
      const deleted = await first.call(`/api/servers/${serverId}?force=true`, { method: 'DELETE' })
      assert.deepEqual(deleted, { status: 200, body: { success: true, message: 'Server deleted' } })
      assert.equal(existsSync(sweeps), false)
      // Nor written again by a retry that was due: the executor is gone with the server.
      await assertStillThere(pattern, 'nothing connects to a deleted server')
      assert.equal(existsSync(sweeps), false)
    })
  })
}
