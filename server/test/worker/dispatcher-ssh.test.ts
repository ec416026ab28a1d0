/**
 * The dispatcher runs a task linked to a registered server through that server's SSH executor
 * (issue 12), against a real OpenSSH server on 127.0.0.1; other tasks stay on this machine.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { installationKey } from '../../src/executor/local/local-executor.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { sshdSkipReason, startTestSshServer, type TestSshServer } from '../helpers/ssh-server.ts'
import { newTask } from '../store/store-fixtures.ts'

const JSON_HEADERS = { 'content-type': 'application/json' }

/** Registers the test sshd through the API and queues one run of a task on it with this command. */
async function remoteRun(app: TestApp, sshd: TestSshServer, command: string, fields: Parameters<typeof newTask>[0] = {}) {
  const created = await app.json('/api/servers', {
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify({
      name: `sshd-${randomBytes(3).toString('hex')}`,
      host: sshd.host,
      port: sshd.port,
      username: sshd.username,
      private_key: sshd.key.privateKey,
    }),
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const serverId = created.body.server.id as number
  const task = await app.store.tasks.insert(newTask({ status: 'running', command, scriptFile: '', ...fields }))
  await app.store.servers.setTaskServer(task.id, serverId)
  const run = await app.store.runs.insert({ taskId: task.id, priority: 5, trigger: 'manual', queuedAt: Date.now() })
  const finished = app.runFinished(run.id)
  app.worker.wake()
  return { serverId, task, run, finished }
}

/** Processes on this host (the test sshd's sessions are) whose command line holds `marker`. */
function pgrep(marker: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number)
  } catch {
    return [] // pgrep exits 1 when nothing matches
  }
}

/** Live processes on this host carrying the run's markers in their environment (what the executor itself looks for). */
function runProcesses(app: TestApp, runId: number): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0')
      const state = readFileSync(`/proc/${name}/stat`, 'latin1').replace(/^.*\) /s, '')[0]
      if (state !== 'Z' && env.includes(`TASKYARD_RUN_ID=${runId}`) && env.includes(`TASKYARD_INSTANCE=${installationKey(app.paths.root)}`))
        pids.push(Number(name))
    } catch {
      // gone, or not ours to read
    }
  }
  return pids
}

/** The state letter of a live process (R, S, T…), or null when it is gone. */
function processState(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'latin1').replace(/^.*\) /s, '')[0] ?? null
  } catch {
    return null
  }
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: runs of a task on a registered server`, { skip: sshdSkipReason(), timeout: 120_000 }, () => {
    let sshd: TestSshServer
    before(async () => {
      sshd = await startTestSshServer()
    })
    after(() => sshd.stop())

    it('runs over SSH: stdout and stderr in the log and apart, the exit code recorded, the host key pinned', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { serverId, run, finished } = await remoteRun(app, sshd, 'echo "on $(hostname) as $USER"; echo oops >&2; echo "$TASKYARD_RUN_ID"; exit 3')
      await finished
      const ended = await app.store.runs.findById(run.id)
      assert.equal(ended?.status, 'failed')
      assert.equal(ended?.exitCode, 3)
      assert.ok(ended?.pid != null && ended.pid > 1)
      const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim()
      const host = execFileSync('hostname', { encoding: 'utf8' }).trim()
      const stdout = `on ${host} as ${user}\n${run.id}\n`
      assert.equal((await app.services.logs.readStreamTail(run.id, 'stdout', 1 << 20)).text, stdout)
      assert.equal((await app.services.logs.readStreamTail(run.id, 'stderr', 1 << 20)).text, 'oops\n')
      const log = readFileSync(app.services.logs.appendTarget(run.id).path, 'utf8')
      assert.deepEqual(log.split('\n').sort(), ['', 'oops', `on ${host} as ${user}`, String(run.id)].sort())
      assert.equal((await app.store.servers.findById(serverId))?.hostKeyFingerprint, sshd.hostKeyFingerprint())
    })

    it('streams output live, and stop leaves no process on the server', async (t) => {
      const app = await createTestApp(t, { dialect })
      // A duration no other process uses: `^sleep <it>$` matches the two sleepers only, not the shell.
      const seconds = `300.${randomBytes(3).readUIntBE(0, 3)}`
      const marker = `^sleep ${seconds}$`
      // Both sleepers are forked before 'first' is written; the second one's parent is the first's shell, not the run's leader.
      const { task, run, finished } = await remoteRun(app, sshd, `sleep ${seconds} & (sleep ${seconds} &) ; echo first; wait`)
      const started = await app.runningRun(task.id)
      assert.equal(started.runId, run.id)
      const follow = app.services.logs.follow(run.id, 0, finished)
      let seen = ''
      for await (const chunk of follow) {
        seen += chunk.text
        if (seen.includes('first\n')) break
      }
      assert.equal(seen, 'first\n')
      assert.equal((await app.store.runs.findById(run.id))?.status, 'running')
      // Forked before 'first', so they exist now (their argv may still be the shell's for an instant: counted by environment).
      assert.equal(runProcesses(app, run.id).length, 3)

      const stopped = await app.json(`/api/tasks/${task.id}/stop`, { method: 'POST' })
      assert.equal(stopped.status, 200, JSON.stringify(stopped.body))
      await finished
      assert.equal((await app.store.runs.findById(run.id))?.status, 'cancelled')
      assert.deepEqual(pgrep(marker), [])
      assert.deepEqual(runProcesses(app, run.id), [])
    })

    it('deleting a task whose run is paused on the server ends that run there: nothing of it is left', async (t) => {
      const app = await createTestApp(t, { dialect })
      const seconds = `300.${randomBytes(3).readUIntBE(0, 3)}`
      const { task, run, finished } = await remoteRun(app, sshd, `sleep ${seconds} & echo first; wait`)
      await app.runningRun(task.id)
      await waitFor(() => runProcesses(app, run.id).length === 2, 'the run and its sleeper on the server')
      const paused = await app.json(`/api/tasks/${task.id}/pause`, { method: 'POST' })
      assert.equal(paused.status, 200, JSON.stringify(paused.body))
      // Suspended on the server: both processes stopped (state T), still there.
      await waitFor(() => runProcesses(app, run.id).every((pid) => processState(pid) === 'T'), 'the paused processes')
      const deleted = await app.json(`/api/tasks/${task.id}`, { method: 'DELETE' })
      assert.equal(deleted.status, 200, JSON.stringify(deleted.body))
      await Promise.race([finished, new Promise((_, reject) => setTimeout(() => reject(new Error('the run did not end after the delete')), 30_000).unref())])
      assert.deepEqual(pgrep(`^sleep ${seconds}$`), [])
      assert.deepEqual(runProcesses(app, run.id), [])
      assert.equal(await app.store.runs.findById(run.id), undefined)
    })

    it("copies a task's files over SFTP to a directory of the run, runs there, and removes it after", async (t) => {
      const app = await createTestApp(t, { dialect })
      const created = await app.json('/api/servers', {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify({ name: 'files', host: sshd.host, port: sshd.port, username: sshd.username, private_key: sshd.key.privateKey }),
      })
      const task = await app.store.tasks.insert(newTask({ status: 'running', command: 'sh job.sh', scriptFile: 'job.sh' }))
      const dir = app.paths.taskDir(task.id)
      mkdirSync(path.join(dir, 'sub'), { recursive: true })
      writeFileSync(path.join(dir, 'job.sh'), 'echo "in $(basename "$PWD")"; cat sub/data.txt; ls -a | wc -l\n')
      writeFileSync(path.join(dir, 'sub', 'data.txt'), 'payload\n')
      await app.store.servers.setTaskServer(task.id, created.body.server.id)
      const run = await app.store.runs.insert({ taskId: task.id, priority: 5, trigger: 'manual', queuedAt: Date.now() })
      const finished = app.runFinished(run.id)
      app.worker.wake()
      await finished
      const key = installationKey(app.paths.root)
      assert.equal((await app.store.runs.findById(run.id))?.status, 'completed')
      // '.', '..', job.sh, sub: the run's directory holds the task's files and nothing else.
      assert.equal(readFileSync(app.services.logs.appendTarget(run.id).path, 'utf8'), `in ${key}-${run.id}\npayload\n4\n`)
      const remoteDir = path.join(os.userInfo().homedir, '.taskyard-runs', `${key}-${run.id}`)
      assert.equal(existsSync(remoteDir), false, `${remoteDir} is left on the server`)
    })

    it('a memory limit stored on a server task fails the run saying why; nothing is sent', async (t) => {
      const app = await createTestApp(t, { dialect })
      const witness = path.join(os.tmpdir(), `taskyard-memlimit-${randomBytes(4).toString('hex')}`)
      t.after(() => rmSync(witness, { force: true }))
      // The API refuses such a task (services/servers/check-remote-policy.ts); this one was stored behind its back.
      const { run, finished } = await remoteRun(app, sshd, `touch ${witness}`, { memoryLimitMb: 64 })
      await finished
      const ended = await app.store.runs.findById(run.id)
      assert.equal(ended?.status, 'failed')
      assert.match(ended?.error ?? '', /a memory limit cannot be enforced here: runs over SSH have no cgroup on the server/)
      assert.equal(existsSync(witness), false, 'the command ran although its limit could not be enforced')
    })

    it('a task with no server still runs on this machine', async (t) => {
      const app = await createTestApp(t, { dialect })
      const task = await app.store.tasks.insert(newTask({ status: 'running', command: 'echo local' }))
      const { mkdir } = await import('node:fs/promises')
      await mkdir(app.paths.taskDir(task.id), { recursive: true })
      const run = await app.store.runs.insert({ taskId: task.id, priority: 5, trigger: 'manual', queuedAt: Date.now() })
      const finished = app.runFinished(run.id)
      app.worker.wake()
      await finished
      const ended = await app.store.runs.findById(run.id)
      assert.equal(ended?.status, 'completed')
      assert.equal(readFileSync(app.services.logs.appendTarget(run.id).path, 'utf8'), 'local\n')
      assert.equal((await app.services.logs.readStreamTail(run.id, 'stdout', 100)).text, '')
    })
  })
}
