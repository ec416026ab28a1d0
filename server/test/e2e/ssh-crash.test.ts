/**
 * Issue 12: kill -9 of a real `taskyard serve` while a shell task runs on a registered server
 * (a real OpenSSH on 127.0.0.1), then a restart: the run is closed as `abnormal` and its remote
 * processes are ended over SSH, checked with `pgrep` on the host. Both dialects.
 *
 * Taskyard runs as `nobody` and the server logs in as root, so only the SSH path can end the
 * remote processes: this machine's own orphan sweep gets EPERM on them (and would, on a real
 * remote host, not even see them).
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { after, before, describe, it } from 'node:test'
import { ABNORMAL_RESTART } from '../../src/services/recover-runs.ts'
import { describePids, pgrep, startRemoteRun, startTaskyardAsNobody as start, until } from '../helpers/ssh-e2e.ts'
import { sshdSkipReason, startTestSshServer, type TestSshServer } from '../helpers/ssh-server.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const isRoot = process.getuid?.() === 0

const skip = !isRoot ? 'needs root: Taskyard runs as nobody, the SSH login is root' : sshdSkipReason()

for (const dialect of testDialects()) {
  describe(`${dialect.name}: kill -9 of Taskyard during a run on a registered server (real server and sshd)`, { skip, timeout: 180_000 }, () => {
    let sshd: TestSshServer
    before(async () => {
      sshd = await startTestSshServer()
    })
    after(() => sshd?.stop())

    it('after the restart the run is abnormal and nothing of it is left on the server', async (t) => {
      const undo: (() => unknown)[] = []
      const { dataDir, databaseUrl, pattern, first, taskId, running } = await startRemoteRun(t, dialect, sshd, undo, 'crash')

      first.server.child.kill('SIGKILL')
      await once(first.server.child, 'exit')
      // The connection went with Taskyard; the remote processes did not.
      await new Promise((r) => setTimeout(r, 300))
      assert.equal(pgrep(pattern).length, 2, 'a killed Taskyard leaves its remote run running (what the sweep is for)')

      const second = await start(undo, dataDir, databaseUrl)
      const latest = (await second.call(`/api/tasks/${taskId}`)).body.latest_execution
      assert.equal(latest.execution_id, running.execution_id)
      assert.equal(latest.status, 'abnormal')
      assert.equal(latest.error, ABNORMAL_RESTART)
      await until('the remote processes to end', () => pgrep(pattern).length === 0).catch(async (error: Error) => {
        const ps = describePids(pgrep(pattern))
        const runs = (await second.call(`/api/tasks/${taskId}/executions`)).body
        throw new Error(`${error.message}\n${ps}\n${JSON.stringify(runs)}`)
      })
      // Still so a moment later: nothing restarted them.
      await new Promise((r) => setTimeout(r, 300))
      assert.deepEqual(pgrep(pattern), [])
    })
  })
}
