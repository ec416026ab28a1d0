/**
 * Issue 6 item 1, end to end against a real server: a task that tries to read the server's secrets,
 * the database, another task's files and the logs, then forges an admin token with whatever it
 * read, fails at each step. Needs the executor's runAs and isolation (server/src/executor); where
 * they are missing, the run executes as the server and these tests fail, as they should.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'
import { lookupAccount } from '../../src/lib/os-accounts.ts'
import { createTestApp } from '../helpers/test-app.ts'
import { REACHABLE_PYTHON } from '../helpers/reachable-python.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { runLogFile } from '../../src/logs/file-log-store.ts'

const PROBE = readFileSync(path.join(import.meta.dirname, 'fixtures/reach-probe.py'), 'utf8')
const isRoot = process.getuid?.() === 0
const run = promisify(execFile)

/** The probe's `<step>: <outcome>` lines as a record. */
function steps(log: string): Record<string, string> {
  return Object.fromEntries(
    log
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]),
  )
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: what a task can reach (issue 6)`, { skip: dialect.skip || (!isRoot && 'needs root: runs get another account only then') }, () => {
    it('cannot read the secret, the database, the admin password, another task or the logs, and its forged admin token gets 401', async (t) => {
      // No configured admin password: the generated one is written to admin-password.txt.
      const app = await createTestApp(t, { dialect, env: { TASKYARD_ADMIN_PASSWORD: '', ...REACHABLE_PYTHON } })
      const account = (await lookupAccount('taskyard-run'))!
      assert.ok(account, 'the server created its run account')

      const other = await app.createTask(
        { conda_env: 'base', task_name: 'other', command: 'echo other-output' },
        { name: 'job.py', content: 'SECRET = "other task data"\n' },
      )
      assert.equal(other.status, 201, JSON.stringify(other.body))
      const otherTask = other.body.task.task_id
      const otherRun = (await app.store.runs.listForTask(otherTask, 1))[0]!.id
      await app.runFinished(otherRun)

      const probe = await app.createTask(
        { conda_env: 'base', task_name: 'probe', command: `python probe.py ${app.url} ${app.dataDir} ${otherTask} ${otherRun}` },
        { name: 'probe.py', content: PROBE },
      )
      assert.equal(probe.status, 201, JSON.stringify(probe.body))
      const probeTask = probe.body.task.task_id
      const probeRun = (await app.store.runs.listForTask(probeTask, 1))[0]!.id
      await app.runFinished(probeRun)

      const log = readFileSync(runLogFile(app.paths.logsDir, probeRun), 'utf8')
      const probeTaskIdPattern = String(probeTask)
      const got = steps(log)
      const unreachable = /^(denied|missing)$/
      assert.equal(got.uid, `${account.uid} gid: ${account.gid}`, log)
      assert.equal(got['leaked settings'], '[]', log)
      for (const step of [
        'secret.key',
        'database',
        'database wal',
        'admin password',
        'other task listing',
        'other task file',
        'logs listing',
        'other run log',
      ]) {
        assert.match(got[step] ?? 'absent', unreachable, `${step}\n${log}`)
      }
      // Under isolation the data directory is an empty stand-in holding only the way to the run's own folders.
      assert.match(got['data dir listing'] ?? 'absent', /^(denied|missing|listed \[("(envs|outputs|tasks)"(, )?)*\])$/, log)
      assert.match(got['tasks listing'] ?? 'absent', new RegExp(`^(denied|missing|listed \\["${probeTaskIdPattern}"\\])$`), log)
      assert.equal(got['output dir'], 'written', log)
      assert.equal(got['task dir'], 'written', log)
      assert.equal(got['forged token'], 'HTTP 401', log)
      assert.equal((await app.store.runs.findById(probeRun))?.status, 'completed', log)
      const output = path.join(app.paths.runOutputDir(probeTask, probeRun), 'out.txt')
      assert.equal(readFileSync(output, 'utf8'), 'result\n')
      assert.equal(statSync(output).uid, account.uid)

      // The control: the same forgery with the real key (and a session id) is an admin. The 401 above is the key's doing.
      // The session id is the one the admin's login token carries; a reader of the database has them all.
      const sid = JSON.parse(Buffer.from(app.adminToken.split('.')[1]!, 'base64url').toString()).sid as string
      const control = await run('python3', [
        path.join(app.paths.taskDir(probeTask), 'probe.py'),
        app.url,
        app.dataDir,
        '0',
        '0',
        path.join(app.dataDir, 'secret.key'),
        sid,
      ])
      assert.equal(control.stdout, 'forged token: HTTP 200\n')
    })

    it("a run's /tmp, /var/tmp and /dev/shm are its own: another user's run finds nothing of it, nor the machine's, nor a socket there", async (t) => {
      const app = await createTestApp(t, { dialect, env: REACHABLE_PYTHON })
      const bob = await app.addUser('bob', 'operator')
      // The machine's /tmp holds a file and a listening socket where upstream PostgreSQL puts its own.
      const mark = `taskyard-e2e-${process.pid}-${dialect.name}`
      const hostFile = path.join('/tmp', `${mark}-host`)
      writeFileSync(hostFile, "the machine's\n", { mode: 0o644 })
      t.after(() => rmSync(hostFile, { force: true }))
      // Should a run reach the machine's directories after all, what it wrote goes too.
      t.after(() => ['/tmp', '/var/tmp', '/dev/shm'].forEach((dir) => rmSync(path.join(dir, mark), { force: true })))
      const socketPath = path.join('/tmp', `.s.PGSQL.${mark}`)
      let accepted = 0
      const listener = net.createServer((socket) => {
        accepted += 1
        socket.destroy()
      })
      await new Promise<void>((resolve) => listener.listen(socketPath, resolve))
      t.after(() => new Promise<void>((resolve) => listener.close(() => resolve())))
      chmodSync(socketPath, 0o777)

      const runOf = async (as: { bearer: string } | null, name: string, command: string): Promise<string> => {
        const form = new FormData()
        form.set('script_file', new Blob(['print(1)\n']), 'job.py')
        for (const [k, v] of Object.entries({ conda_env: 'base', task_name: name, command })) form.set(k, v)
        const res = as ? await app.jsonAs(as, '/api/tasks', { method: 'POST', body: form }) : await app.json('/api/tasks', { method: 'POST', body: form })
        assert.equal(res.status, 201, JSON.stringify(res.body))
        const runId = (await app.store.runs.listForTask(res.body.task.task_id, 1))[0]!.id
        await app.runFinished(runId)
        assert.equal((await app.store.runs.findById(runId))?.status, 'completed')
        return readFileSync(runLogFile(app.paths.logsDir, runId), 'utf8')
      }
      const probe = [
        `cat /tmp/${mark} /var/tmp/${mark} /dev/shm/${mark} 2>/dev/null || echo none`,
        `cat ${hostFile} 2>/dev/null || echo no-host-file`,
        `python -c "import socket; s = socket.socket(socket.AF_UNIX); s.connect('${socketPath}')" 2>/dev/null && echo socket-connected || echo no-socket`,
        `echo mine > /tmp/${mark} && echo mine > /var/tmp/${mark} && echo mine > /dev/shm/${mark} && echo wrote`,
      ].join('; ')
      assert.equal(await runOf(null, 'admin-tmp', probe), 'none\nno-host-file\nno-socket\nwrote\n')
      assert.equal(await runOf(bob, 'bob-tmp', probe), 'none\nno-host-file\nno-socket\nwrote\n')
      assert.equal(accepted, 0)
      for (const dir of ['/tmp', '/var/tmp', '/dev/shm']) assert.equal(existsSync(path.join(dir, mark)), false, `a run wrote ${dir}/${mark} on the machine`)
    })

    it('an environment created for a task is usable by the run account', async (t) => {
      const app = await createTestApp(t, { dialect, env: REACHABLE_PYTHON })
      const account = (await lookupAccount('taskyard-run'))!
      const res = await app.createTask({ conda_env: 'fresh-env', task_name: 'venv', command: 'python -c "import sys, os; print(sys.prefix, os.getuid())"' })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      const runId = (await app.store.runs.listForTask(res.body.task.task_id, 1))[0]!.id
      await app.runFinished(runId)
      // Whatever the executor does, the account itself can run the environment's interpreter.
      const direct = await run('setpriv', [
        `--reuid=${account.uid}`,
        `--regid=${account.gid}`,
        '--clear-groups',
        path.join(app.paths.envsDir, 'fresh-env', 'bin', 'python'),
        '-c',
        'import json, sys; print(sys.prefix)',
      ])
      assert.equal(direct.stdout.trim(), path.join(app.paths.envsDir, 'fresh-env'))
      assert.equal(readFileSync(runLogFile(app.paths.logsDir, runId), 'utf8'), `${path.join(app.paths.envsDir, 'fresh-env')} ${account.uid}\n`)
      assert.equal((await app.store.runs.findById(runId))?.status, 'completed')
    })
  })
}
