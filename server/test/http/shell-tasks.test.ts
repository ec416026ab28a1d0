/**
 * spec 001's shell tasks over HTTP (issue 12): POST /api/tasks with a JSON body runs a command on
 * a registered server (a real OpenSSH on 127.0.0.1); the deny-list and the server's operators
 * decide before anything is stored or sent; spec 000's routes see and control the task.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { createTestApp, type Credential, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { sshdSkipReason, startTestSshServer, type TestSshServer } from '../helpers/ssh-server.ts'

const JSON_HEADERS = { 'content-type': 'application/json' }
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/

const post = (app: TestApp, credential: Credential, p: string, body: unknown) =>
  app.jsonAs(credential, p, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) })

async function registerServer(app: TestApp, sshd: TestSshServer, operatorIds: number[] = []): Promise<number> {
  const created = await post(app, { bearer: app.adminToken }, '/api/servers', {
    name: 'loopback',
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    private_key: sshd.key.privateKey,
    operator_ids: operatorIds,
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  return created.body.server.id
}

/** Task rows and task.create audit entries: what a refused create must leave as it was. */
async function stored(app: TestApp): Promise<{ tasks: number; creates: number }> {
  const tasks = (await app.store.tasks.list()).length
  const audit = await app.json('/api/audit')
  const creates = (audit.body.entries ?? audit.body.audit ?? []).filter((e: any) => e.action === 'task.create').length
  return { tasks, creates }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: shell tasks (spec 001)`, { skip: sshdSkipReason(), timeout: 180_000 }, () => {
    let sshd: TestSshServer
    before(async () => {
      sshd = await startTestSshServer()
    })
    after(() => sshd.stop())

    it("creates an @once task that runs on the server at once, answered in spec 001's shape and seen by spec 000's routes", async (t) => {
      const app = await createTestApp(t, { dialect })
      const serverId = await registerServer(app, sshd)
      const res = await post(app, { bearer: app.adminToken }, '/api/tasks', {
        name: '磁盘检查',
        command: 'echo checked; echo warn >&2',
        server_id: serverId,
        cron_expr: '@once',
      })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      const task = res.body.task
      assert.match(task.created_at, ISO)
      assert.deepEqual(res.body, {
        success: true,
        message: 'Task created successfully',
        task: {
          id: task.id,
          name: '磁盘检查',
          command: 'echo checked; echo warn >&2',
          server_id: serverId,
          status: 1,
          last_run: null,
          next_run: null,
          created_at: task.created_at,
        },
      })
      const { runId } = await app.runningRun(task.id)
      await app.runFinished(runId)
      const run = await app.store.runs.findById(runId)
      assert.equal(run?.status, 'completed')
      assert.equal(run?.exitCode, 0)
      assert.deepEqual(readFileSync(app.services.logs.appendTarget(runId).path, 'utf8').split('\n').sort(), ['', 'checked', 'warn'])

      const detail = await app.json(`/api/tasks/${task.id}`)
      assert.equal(detail.status, 200)
      assert.equal(detail.body.task.task_name, '磁盘检查')
      assert.equal(detail.body.task.command, 'echo checked; echo warn >&2')
      assert.equal(detail.body.task.status, 'completed')
      assert.deepEqual(detail.body.task.executions, [String(runId)])
      const listed = await app.json('/api/tasks')
      assert.deepEqual(
        listed.body.map((item: any) => item.task_name),
        ['磁盘检查'],
      )
      // spec 000's trigger runs it again, on the server.
      const triggered = await app.json(`/api/tasks/${task.id}/trigger`, { method: 'POST' })
      assert.equal(triggered.status, 200, JSON.stringify(triggered.body))
      const again = await app.runningRun(task.id)
      assert.notEqual(again.runId, runId)
      await app.runFinished(again.runId)
      assert.equal((await app.store.runs.findById(again.runId))?.status, 'completed')
    })

    it('a cron task waits for its time; it is enabled (status 1) and names its next run', async (t) => {
      const app = await createTestApp(t, { dialect })
      const serverId = await registerServer(app, sshd)
      const res = await post(app, { bearer: app.adminToken }, '/api/tasks', { name: 'nightly', command: 'date', server_id: serverId, cron_expr: '0 3 * * *' })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.equal(res.body.task.status, 1)
      assert.match(res.body.task.next_run, ISO)
      assert.equal((await app.store.runs.listForTask(res.body.task.id, 10)).length, 0)
      assert.equal((await app.store.tasks.findById(res.body.task.id))?.status, 'scheduled')
      assert.equal((await app.store.tasks.findById(res.body.task.id))?.concurrency, 'forbid')
    })

    it('takes concurrency in the JSON create (issue 8), shown by spec 000’s GET', async (t) => {
      const app = await createTestApp(t, { dialect })
      const serverId = await registerServer(app, sshd)
      const res = await post(app, { bearer: app.adminToken }, '/api/tasks', {
        name: 'q',
        command: 'date',
        server_id: serverId,
        cron_expr: '0 3 * * *',
        concurrency: 'queue',
      })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.equal((await app.store.tasks.findById(res.body.task.id))?.concurrency, 'queue')
      assert.equal((await app.json(`/api/tasks/${res.body.task.id}`)).body.task.concurrency, 'queue')
    })

    it('refuses a denied command with a 400 naming the rule, and stores and sends nothing', async (t) => {
      const app = await createTestApp(t, { dialect })
      const serverId = await registerServer(app, sshd)
      const before = await stored(app)
      for (const [command, rule] of [
        ['sudo systemctl restart nginx', 'sudo'],
        ["sh -c 'rm -rf /'", 'rm-root'],
        ['env FOO=1 su - root', 'su'],
        ['echo $(mkfs.ext4 /dev/sda1)', 'mkfs'],
      ] as const) {
        const res = await post(app, { bearer: app.adminToken }, '/api/tasks', { name: 'bad', command, server_id: serverId, cron_expr: '@once' })
        assert.equal(res.status, 400, command)
        assert.equal(res.body.success, false)
        assert.equal(res.body.message, 'Command refused by the deny-list')
        assert.equal(res.body.rule, rule, command)
        assert.match(res.body.error, new RegExp(`\\(rule ${rule}\\)$`))
      }
      assert.deepEqual(await stored(app), before)
    })

    it('refuses bad input by field, and an unknown server with 404, changing nothing', async (t) => {
      const app = await createTestApp(t, { dialect })
      const serverId = await registerServer(app, sshd)
      const before = await stored(app)
      const admin = { bearer: app.adminToken }
      const cases: [unknown, number, string][] = [
        [{ name: 'x', command: 'true', server_id: serverId }, 400, "cron_expr is required (a cron expression, or '@once' for one run now)"],
        [{ name: 'x', server_id: serverId, cron_expr: '@once' }, 400, 'command is required (the shell command to run on the server)'],
        [{ name: 'x', command: 'true', cron_expr: '@once' }, 400, 'server_id is required (the id of a registered server)'],
        [{ name: 'x', command: 'true', server_id: 0, cron_expr: '@once' }, 400, 'server_id must be a positive integer, got 0'],
        [{ name: 'x', command: 'true', server_id: 'one', cron_expr: '@once' }, 400, 'body/server_id must be integer'],
        [{ name: 'x', command: 'true', server_id: serverId, cron_expr: 'every day' }, 400, 'Invalid cron expression'],
        [{ name: 'x', command: 'true', server_id: serverId, cron_expr: '@once', delay: 3 }, 400, "Unknown field 'delay'"],
        [{ name: 'x', command: 'true', server_id: 99, cron_expr: '@once' }, 404, ''],
        [
          { name: 'x', command: 'true', server_id: serverId, cron_expr: '@once', concurrency: 'both' },
          400,
          "concurrency must be one of 'forbid', 'queue', 'allow', 'replace', got \"both\"",
        ],
      ]
      for (const [body, status, error] of cases) {
        const res = await post(app, admin, '/api/tasks', body)
        assert.equal(res.status, status, JSON.stringify(body))
        assert.equal(res.body.success, false)
        if (error) assert.ok(String(res.body.error).startsWith(error), `${JSON.stringify(body)}: ${res.body.error}`)
      }
      assert.deepEqual(await stored(app), before)
    })

    it('only admins and the operators allowed on the server create, trigger and change shell tasks there', async (t) => {
      const app = await createTestApp(t, { dialect })
      const allowed = await app.addUser('ops', 'operator')
      const other = await app.addUser('other', 'operator')
      const viewer = await app.addUser('watcher', 'viewer')
      const serverId = await registerServer(app, sshd, [allowed.id])
      const body = (name: string) => ({ name, command: 'echo hi', server_id: serverId, cron_expr: '0 3 * * *' })
      const before = await stored(app)
      assert.deepEqual(await post(app, { bearer: other.bearer }, '/api/tasks', body('a')), {
        status: 403,
        body: { success: false, message: 'Unauthorized - Insufficient privileges', error: "You do not have permission to run commands on server 'loopback'" },
      })
      assert.equal((await post(app, { bearer: viewer.bearer }, '/api/tasks', body('b'))).status, 403)
      assert.equal((await post(app, null, '/api/tasks', body('c'))).status, 401)
      assert.deepEqual(await stored(app), before)

      const created = await post(app, { bearer: allowed.bearer }, '/api/tasks', body('mine'))
      assert.equal(created.status, 200, JSON.stringify(created.body))
      const id = created.body.task.id
      // The admin takes the operator off the server: the operator's own task no longer runs at their word.
      const put = await app.json(`/api/servers/${serverId}`, { method: 'PUT', headers: JSON_HEADERS, body: JSON.stringify({ operator_ids: [] }) })
      assert.equal(put.status, 200, JSON.stringify(put.body))
      const refused = await app.jsonAs({ bearer: allowed.bearer }, `/api/tasks/${id}/trigger`, { method: 'POST' })
      assert.deepEqual(refused, {
        status: 403,
        body: { success: false, message: 'Unauthorized - Insufficient privileges', error: "You do not have permission to run commands on server 'loopback'" },
      })
      assert.equal((await app.store.runs.listForTask(id, 10)).length, 0)
      // Stopping and pausing stay theirs: ending a run is never refused for want of the right to start one.
      const stopped = await app.jsonAs({ bearer: allowed.bearer }, `/api/tasks/${id}/stop`, { method: 'POST' })
      assert.equal(stopped.status, 200, JSON.stringify(stopped.body))
    })

    it("update-script on a server's task is for admins and the operators allowed there: 403 otherwise, nothing changed", async (t) => {
      const app = await createTestApp(t, { dialect })
      const ops = await app.addUser('ops', 'operator')
      const serverId = await registerServer(app, sshd, [ops.id])
      const created = await post(app, { bearer: ops.bearer }, '/api/tasks', { name: 'mine', command: 'echo hi', server_id: serverId, cron_expr: '0 3 * * *' })
      assert.equal(created.status, 200, JSON.stringify(created.body))
      const id = created.body.task.id
      const update = (bearer: string) => {
        const form = new FormData()
        form.set('script_file', new Blob(['echo replaced\n']), 'job.sh')
        form.set('command', 'sh job.sh')
        form.set('force', 'true')
        return app.jsonAs({ bearer }, `/api/tasks/${id}/update-script`, { method: 'POST', body: form })
      }
      // The admin takes the operator off the server: their own task's files are no longer theirs to change.
      const put = await app.json(`/api/servers/${serverId}`, { method: 'PUT', headers: JSON_HEADERS, body: JSON.stringify({ operator_ids: [] }) })
      assert.equal(put.status, 200, JSON.stringify(put.body))
      const before = await app.store.tasks.findById(id)
      assert.deepEqual(await update(ops.bearer), {
        status: 403,
        body: { success: false, message: 'Unauthorized - Insufficient privileges', error: "You do not have permission to run commands on server 'loopback'" },
      })
      assert.deepEqual(await app.store.tasks.findById(id), before)
      // Allowed again, the same request goes through.
      const allowedAgain = await app.json(`/api/servers/${serverId}`, {
        method: 'PUT',
        headers: JSON_HEADERS,
        body: JSON.stringify({ operator_ids: [ops.id] }),
      })
      assert.equal(allowedAgain.status, 200, JSON.stringify(allowedAgain.body))
      const updated = await update(ops.bearer)
      assert.equal(updated.status, 200, JSON.stringify(updated.body))
      assert.equal((await app.store.tasks.findById(id))?.command, 'sh job.sh')
    })

    it('refuses a memory limit or run_as on a server task with a 400 saying why (never ignored at run time); clearing is fine', async (t) => {
      const app = await createTestApp(t, { dialect })
      const serverId = await registerServer(app, sshd)
      const created = await post(app, { bearer: app.adminToken }, '/api/tasks', { name: 'n', command: 'echo ok', server_id: serverId, cron_expr: '0 3 * * *' })
      const id = created.body.task.id
      const put = (body: unknown) => app.json(`/api/tasks/${id}`, { method: 'PUT', headers: JSON_HEADERS, body: JSON.stringify(body) })
      const before = await app.store.tasks.findById(id)
      assert.deepEqual(await put({ memory_limit_mb: 256 }), {
        status: 400,
        body: {
          success: false,
          message: 'Invalid update parameters',
          error:
            "memory_limit_mb cannot be enforced on server 'loopback': runs over SSH get no cgroup there, so the limit would be ignored; remove memory_limit_mb or run the task on this machine",
        },
      })
      const asAccount = await put({ run_as: 'nobody', task_name: 'renamed' })
      assert.equal(asAccount.status, 400, JSON.stringify(asAccount.body))
      assert.match(asAccount.body.error, /^run_as cannot apply on server 'loopback': a run there gets the account Taskyard logs in as/)
      assert.deepEqual(await app.store.tasks.findById(id), before)
      const cleared = await put({ memory_limit_mb: null })
      assert.equal(cleared.status, 200, JSON.stringify(cleared.body))
      assert.equal((await app.store.tasks.findById(id))?.memoryLimitMb, null)
    })

    it('a shell task changed by PUT still passes the deny-list', async (t) => {
      const app = await createTestApp(t, { dialect })
      const serverId = await registerServer(app, sshd)
      const created = await post(app, { bearer: app.adminToken }, '/api/tasks', { name: 'n', command: 'echo ok', server_id: serverId, cron_expr: '0 3 * * *' })
      const id = created.body.task.id
      const res = await app.json(`/api/tasks/${id}`, { method: 'PUT', headers: JSON_HEADERS, body: JSON.stringify({ command: 'reboot' }) })
      assert.equal(res.status, 400, JSON.stringify(res.body))
      assert.equal(res.body.rule, 'shutdown')
      assert.equal((await app.store.tasks.findById(id))?.command, 'echo ok')
    })
  })

  describe(`${dialect.name}: the deny-list on local shell commands`, { timeout: 60_000 }, () => {
    it('refuses a denied local command by default, before the upload is stored', async (t) => {
      const app = await createTestApp(t, { dialect })
      const res = await app.createTask({ task_name: 'local', conda_env: 'base', command: 'sudo python job.py' })
      assert.equal(res.status, 400, JSON.stringify(res.body))
      assert.equal(res.body.rule, 'sudo')
      assert.deepEqual(await app.store.tasks.list(), [])
    })

    it('lets it through when an admin switched the local check off (TASKYARD_DENY_LIST_LOCAL=off)', async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_DENY_LIST_LOCAL: 'off' } })
      const res = await app.createTask({ task_name: 'local', conda_env: 'base', command: 'sudo -n true || python job.py', cron_expression: '0 3 * * *' })
      assert.equal(res.status, 201, JSON.stringify(res.body))
    })
  })
}
