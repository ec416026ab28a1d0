/**
 * spec 001's reads (issue 12): GET /api/tasks with paging and filters, GET /api/task/<id>/log's
 * execution record; and its limits on a server: the default timeout and the output cap. Against
 * a real OpenSSH server on 127.0.0.1.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { sshdSkipReason, startTestSshServer, type TestSshServer } from '../helpers/ssh-server.ts'
import { newTask } from '../store/store-fixtures.ts'

const JSON_HEADERS = { 'content-type': 'application/json' }
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/

async function registerServer(app: TestApp, sshd: TestSshServer, name = 'loopback'): Promise<number> {
  const created = await app.json('/api/servers', {
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify({ name, host: sshd.host, port: sshd.port, username: sshd.username, private_key: sshd.key.privateKey }),
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  return created.body.server.id
}

async function shellTask(app: TestApp, body: Record<string, unknown>, bearer = app.adminToken): Promise<any> {
  const res = await app.jsonAs({ bearer }, '/api/tasks', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.task
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: spec 001 reads and limits`, { skip: sshdSkipReason(), timeout: 180_000 }, () => {
    let sshd: TestSshServer
    before(async () => {
      sshd = await startTestSshServer()
    })
    after(() => sshd.stop())

    it('pages tasks newest first as {list, total, page, page_size} and filters them; without paging the array stays', async (t) => {
      const app = await createTestApp(t, { dialect })
      const one = await registerServer(app, sshd, 'one')
      const two = await registerServer(app, sshd, 'two')
      const ops = await app.addUser('ops', 'operator')
      await app.json(`/api/servers/${two}`, { method: 'PUT', headers: JSON_HEADERS, body: JSON.stringify({ operator_ids: [ops.id] }) })
      const cron = '0 3 * * *'
      const backup = await shellTask(app, { name: 'Nightly-Backup', command: 'tar -czf /tmp/x.tgz /tmp/none', server_id: one, cron_expr: cron })
      const disk = await shellTask(app, { name: 'disk 100%_check', command: 'df -h', server_id: one, cron_expr: cron })
      const mine = await shellTask(app, { name: 'ops-report', command: 'uptime', server_id: two, cron_expr: cron }, ops.bearer)
      const local = await app.store.tasks.insert(newTask({ name: 'local-backup', cronExpression: cron, nextRunAt: Date.now() + 3_600_000 }))
      await app.json(`/api/tasks/${disk.id}/stop`, { method: 'POST' })
      await app.store.tasks.update(backup.id, { lastRunAt: Date.parse('2023-08-01T10:00:00Z') })
      await app.store.tasks.update(mine.id, { lastRunAt: Date.parse('2023-08-03T10:00:00Z') })

      const page = (q: string) => app.json(`/api/tasks?${q}`)
      const first = await page('page=1&page_size=2')
      assert.equal(first.status, 200, JSON.stringify(first.body))
      assert.deepEqual({ ...first.body, list: first.body.list.map((item: any) => item.id) }, { list: [local.id, mine.id], total: 4, page: 1, page_size: 2 })
      assert.deepEqual(first.body.list[0], {
        id: local.id,
        name: 'local-backup',
        command: 'python report.py',
        server_id: null,
        status: 1,
        last_run: null,
        next_run: first.body.list[0].next_run,
        created_at: first.body.list[0].created_at,
      })
      assert.match(first.body.list[0].created_at, ISO)
      const second = await page('page=2&page_size=2')
      assert.deepEqual(
        second.body.list.map((item: any) => item.id),
        [disk.id, backup.id],
      )
      assert.deepEqual((await page('page=3&page_size=2')).body, { list: [], total: 4, page: 3, page_size: 2 })
      assert.deepEqual((await page('page=1')).body.page_size, 10)

      const ids = async (q: string) => (await page(`page=1&${q}`)).body.list.map((item: any) => item.id)
      assert.deepEqual(await ids(`server_id=${one}`), [disk.id, backup.id])
      assert.deepEqual(await ids('name=BACKUP'), [local.id, backup.id])
      // % and _ are letters of the name, not wildcards.
      assert.deepEqual(await ids('name=100%_'), [disk.id])
      assert.deepEqual(await ids('name=1%25'), [])
      assert.deepEqual(await ids('status=0'), [disk.id])
      assert.deepEqual(await ids('status=1'), [local.id, mine.id, backup.id])
      assert.deepEqual(await ids(`created_by=${ops.id}`), [mine.id])
      assert.deepEqual(await ids('start_time=2023-08-01T00:00:00Z&end_time=2023-08-02T00:00:00Z'), [backup.id])
      assert.deepEqual(await ids('start_time=2023-08-02T00:00:00%2B08:00'), [mine.id])
      assert.deepEqual(await ids(`server_id=${one}&status=1`), [backup.id])

      // Without page or page_size: spec 000's array, every task.
      const all = await app.json('/api/tasks')
      assert.ok(Array.isArray(all.body))
      assert.equal(all.body.length, 4)
    })

    it('refuses bad paging and filters by name with a 400', async (t) => {
      const app = await createTestApp(t, { dialect })
      for (const [q, error] of [
        ['page_size=101', 'page_size must be at most 100, got 101'],
        ['page=0', 'querystring/page must be >= 1'],
        ['page=1&status=3', 'querystring/status must be equal to one of the allowed values'],
        ['page=1&start_time=yesterday', "start_time must be an ISO 8601 date-time with its zone, e.g. 2023-08-01T10:00:00Z; got 'yesterday'"],
        ['page=1&start_time=2023-08-02T00:00:00Z&end_time=2023-08-01T00:00:00Z', 'start_time must not be after end_time'],
      ] as const) {
        const res = await app.json(`/api/tasks?${q}`)
        assert.equal(res.status, 400, q)
        assert.equal(res.body.success, false)
        assert.equal(res.body.error, error, q)
      }
    })

    it("answers a run's execution record: stdout and stderr apart, status, ISO times, whole-second duration", async (t) => {
      const app = await createTestApp(t, { dialect })
      const serverId = await registerServer(app, sshd)
      const task = await shellTask(app, {
        name: 'rec',
        command: 'echo "Command executed successfully"; echo "no such file" >&2; exit 2',
        server_id: serverId,
        cron_expr: '@once',
      })
      const { runId } = await app.runningRun(task.id)
      await app.runFinished(runId)
      const res = await app.json(`/api/task/${runId}/log`)
      assert.equal(res.status, 200, JSON.stringify(res.body))
      const run = (await app.store.runs.findById(runId))!
      assert.deepEqual(res.body, {
        output: 'Command executed successfully\n',
        error: 'no such file\n',
        status: 2,
        start_time: new Date(run.startedAt!).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        end_time: new Date(run.endedAt!).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        duration: Math.round((run.endedAt! - run.startedAt!) / 1000),
      })
      assert.match(res.body.start_time, ISO)

      const ok = await shellTask(app, { name: 'ok', command: 'echo fine', server_id: serverId, cron_expr: '@once' })
      const okRun = await app.runningRun(ok.id)
      await app.runFinished(okRun.runId)
      assert.equal((await app.json(`/api/task/${okRun.runId}/log`)).body.status, 1)

      const viewer = await app.addUser('watcher', 'viewer')
      assert.equal((await app.jsonAs({ bearer: viewer.bearer }, `/api/task/${runId}/log`)).status, 200)
      assert.equal((await app.jsonAs(null, `/api/task/${runId}/log`)).status, 401)
      assert.deepEqual(await app.json('/api/task/999/log'), {
        status: 404,
        body: { success: false, message: 'Task execution with ID not found', error: 'No execution record with ID 999' },
      })
      assert.equal((await app.json('/api/task/01/log')).status, 404)
    })

    it('a run on a server past its timeout is ended as timeout, and leaves nothing running (TASKYARD_SHELL_TIMEOUT_SECONDS)', async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_SHELL_TIMEOUT_SECONDS: '1' } })
      const serverId = await registerServer(app, sshd)
      const task = await shellTask(app, { name: 'slow', command: 'echo begun; sleep 60', server_id: serverId, cron_expr: '@once' })
      const { runId } = await app.runningRun(task.id)
      await app.runFinished(runId)
      const run = await app.store.runs.findById(runId)
      assert.equal(run?.status, 'timeout')
      assert.equal(run?.error, 'Run exceeded its time limit and was ended')
      const record = await app.json(`/api/task/${runId}/log`)
      assert.equal(record.body.status, 2)
      assert.equal(record.body.output, 'begun\n')
    })

    it('output past the cap is dropped behind a visible marker and the run is flagged (TASKYARD_SHELL_MAX_OUTPUT_BYTES)', async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_SHELL_MAX_OUTPUT_BYTES: '1000' } })
      const serverId = await registerServer(app, sshd)
      const task = await shellTask(app, {
        name: 'loud',
        command: 'i=0; while [ $i -lt 500 ]; do echo line-$i; i=$((i+1)); done',
        server_id: serverId,
        cron_expr: '@once',
      })
      const { runId } = await app.runningRun(task.id)
      await app.runFinished(runId)
      const run = await app.store.runs.findById(runId)
      assert.equal(run?.status, 'completed')
      assert.equal(run?.outputTruncated, true)
      const log = readFileSync(app.services.logs.appendTarget(runId).path, 'utf8')
      const marker = '\n[taskyard] output truncated: the log reached its limit of 1000 bytes; later output was dropped\n'
      assert.ok(log.endsWith(marker), log.slice(-200))
      assert.equal(Buffer.byteLength(log), 1000 + Buffer.byteLength(marker))
      const record = await app.json(`/api/task/${runId}/log`)
      assert.ok(record.body.output.startsWith('line-0\nline-1\n'))
      assert.ok(record.body.output.endsWith(marker))
    })
  })
}
