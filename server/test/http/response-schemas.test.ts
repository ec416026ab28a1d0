/**
 * Every route's answers against its declared response schema (issue 7, typed responses): a real
 * server, every route driven through its success and main error statuses, each answer checked
 * with Ajv as the handler produced it — before Fastify's serializer could drop or coerce a field.
 * It fails when a route declares no response schema, when no answer exercised a route, and when
 * an answer does not match. A new route is one more request below; the checker finds the rest.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Fastify from 'fastify'
import { readSse } from '../helpers/sse-client.ts'
import { createTestApp, type Credential, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { ResponseChecker } from '../helpers/response-checker.ts'
import { SHARED_SCHEMAS } from '../../src/http/schemas/components.ts'
import { sshdSkipReason, startTestSshServer } from '../helpers/ssh-server.ts'
import { offlinePipEnv, wheelhouse } from '../helpers/wheels.ts'

/** Routes that answer no API body, with why they are not checked here. */
const EXEMPT = {
  'GET /*': 'the built web UI: files and index.html, not API bodies (static-ui.test.ts)',
  'GET /api/openapi.json': 'the OpenAPI document itself (openapi.test.ts compares it whole)',
  'GET /healthz': 'the liveness probe: always {"status":"ok"}, never an error body',
} as const

const JSON_HEADERS = { 'content-type': 'application/json' }

function client(app: TestApp) {
  const call = async (method: string, p: string, body?: unknown, as: Credential = { bearer: app.adminToken }) =>
    app.jsonAs(as, p, { method, ...(body === undefined ? {} : { headers: JSON_HEADERS, body: JSON.stringify(body) }) })
  /** Asserts the status (with the body in the message), returns the body. */
  const expect = async (status: number, method: string, p: string, body?: unknown, as?: Credential) => {
    const res = await call(method, p, body, as)
    assert.equal(res.status, status, `${method} ${p}: ${JSON.stringify(res.body)}`)
    return res.body
  }
  return { call, expect }
}

/** Reads an SSE answer until its last event says is_complete. */
async function readUntilComplete(res: Response): Promise<void> {
  assert.equal(res.status, 200, `stream: ${res.status} ${res.status === 200 ? '' : await res.text()}`)
  for await (const frame of readSse(res)) if ((JSON.parse(frame.data) as { is_complete: boolean }).is_complete) return
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: every route answers as its response schema says`, { skip: sshdSkipReason(), timeout: 240_000 }, () => {
    it('drives every registered route; every answer matches its declared schema', { timeout: 240_000 }, async (t) => {
      const sshd = await startTestSshServer()
      t.after(() => sshd.stop())
      const wheels = await wheelhouse(t, [
        { name: 'tyb-alpha', code: 'WORD = "alpha"\n' },
        { name: 'tyb-beta', version: '2.1' },
      ])
      const checker = new ResponseChecker(EXEMPT)
      const app = await createTestApp(t, { dialect, env: offlinePipEnv(wheels), instrument: checker.instrument })
      const { call, expect } = client(app)
      const anonymous = null

      // Accounts, tokens, users, audit (issue 3) and the own password.
      const login = await expect(200, 'POST', '/api/auth/login', { username: 'admin', password: 'test-admin-password' }, anonymous)
      await expect(401, 'POST', '/api/auth/login', { username: 'admin', password: 'wrong' }, anonymous)
      await expect(400, 'POST', '/api/auth/login', { username: 'admin' }, anonymous)
      await expect(200, 'GET', '/api/auth/me')
      await expect(401, 'GET', '/api/auth/me', undefined, anonymous)
      const created = await expect(201, 'POST', '/api/auth/tokens', { name: 'ci', expires_in_days: 30 })
      await expect(400, 'POST', '/api/auth/tokens', {})
      await expect(200, 'GET', '/api/auth/tokens')
      await expect(401, 'GET', '/api/auth/tokens', undefined, anonymous)
      await expect(200, 'DELETE', `/api/auth/tokens/${created.token.token_id}`)
      await expect(404, 'DELETE', '/api/auth/tokens/999')
      await expect(200, 'POST', '/api/auth/logout', undefined, { bearer: login.token })
      await expect(401, 'POST', '/api/auth/logout', undefined, anonymous)
      const viewer = await app.addUser('vera', 'viewer')
      const operator = await app.addUser('olga', 'operator')
      await expect(400, 'POST', '/api/users', { username: 'vera', password: 'vera-password-2', role: 'viewer' })
      await expect(200, 'GET', '/api/users')
      await expect(403, 'GET', '/api/users', undefined, { bearer: viewer.bearer })
      await expect(200, 'PATCH', `/api/users/${viewer.id}`, { role: 'viewer' })
      await expect(404, 'PATCH', '/api/users/999', { disabled: true })
      await expect(400, 'POST', '/api/auth/password', { current_password: 'wrong', new_password: 'olga-password-2' }, { bearer: operator.bearer })
      const renewed = await expect(
        200,
        'POST',
        '/api/auth/password',
        { current_password: 'olga-password-1', new_password: 'olga-password-2' },
        { bearer: operator.bearer },
      )
      const olga = { bearer: renewed.token as string }

      // 000a's account aliases.
      await expect(200, 'POST', '/login', { username: 'olga', password: 'olga-password-2' }, anonymous)
      await expect(401, 'POST', '/login', { username: 'olga', password: 'wrong' }, anonymous)
      await expect(201, 'POST', '/create_user', { username: 'ivan', password: 'ivan-password-1', is_admin: false })
      await expect(400, 'POST', '/create_user', { username: 'ivan', password: 'ivan-password-1' })
      await expect(403, 'POST', '/create_user', { username: 'petr', password: 'petr-password-1' }, olga)
      const legacy = await app.addUser('lena', 'operator')
      await expect(200, 'POST', '/logout', undefined, { bearer: legacy.bearer })
      await expect(401, 'POST', '/logout', undefined, anonymous)

      // Environments (000a), with real venvs and pip from local wheels.
      await expect(201, 'POST', '/api/conda/environment', { name: 'science', requirements: 'tyb-alpha==1.0\n' })
      await expect(400, 'POST', '/api/conda/environment', { name: 'science' })
      await expect(200, 'GET', '/api/conda/environments')
      await expect(401, 'GET', '/api/conda/environments', undefined, anonymous)
      await expect(200, 'GET', '/api/conda/stats')
      await expect(401, 'GET', '/api/conda/stats', undefined, anonymous)
      await expect(200, 'GET', '/api/conda/environment/science')
      await expect(404, 'GET', '/api/conda/environment/nothing')
      const exported = await app.fetch('/api/conda/environment/science/export')
      assert.equal(exported.status, 200, 'export')
      assert.match(await exported.text(), /tyb-alpha==1\.0/)
      await expect(404, 'GET', '/api/conda/environment/nothing/export')
      await expect(200, 'GET', '/api/conda/environment/science/build-log')
      await readUntilComplete(await app.fetch('/api/conda/environment/science/build-log?stream=true'))
      await expect(404, 'GET', '/api/conda/environment/science/build-log?build_id=999')
      await expect(400, 'GET', '/api/conda/environment/science/build-log?stream=true&offset=0')
      await expect(200, 'POST', '/api/conda/environment/science/packages', { packages: ['tyb-beta'] })
      await expect(404, 'POST', '/api/conda/environment/nothing/packages', { packages: ['tyb-beta'] })
      await expect(200, 'DELETE', '/api/conda/environment/science/packages', { packages: ['tyb-beta'] })
      await expect(404, 'DELETE', '/api/conda/environment/nothing/packages', { packages: ['tyb-beta'] })
      await expect(201, 'POST', '/api/conda/environment', { name: 'scratch' })
      await expect(200, 'PUT', '/api/conda/environment/scratch', { new_name: 'spare' })
      await expect(404, 'PUT', '/api/conda/environment/nothing', { new_name: 'other' })
      await expect(204, 'DELETE', '/api/conda/environment/spare')
      await expect(404, 'DELETE', '/api/conda/environment/spare')

      // Tasks (spec 000): one that ran to its end, one that runs long, one that waits for its cron.
      const ran = await app.createTask(
        { conda_env: 'base', task_name: 'hello', cron_expression: '0 0 1 1 *', memory_limit_mb: '256', max_log_mb: '1' },
        { name: 'job.py', content: 'print("hello")\n' },
      )
      assert.equal(ran.status, 201, JSON.stringify(ran.body))
      const ranId = ran.body.task.task_id as number
      assert.equal((await app.createTask({ conda_env: 'base', task_name: 'no-script' }, null)).status, 400)
      await expect(200, 'POST', `/api/tasks/${ranId}/trigger`)
      await expect(404, 'POST', '/api/tasks/999/trigger')
      const { runId } = await app.runningRun(ranId)
      await app.runFinished(runId)
      await expect(200, 'GET', '/api/tasks')
      await expect(200, 'GET', '/api/tasks?type=history')
      await expect(400, 'GET', '/api/tasks?type=bogus')
      await expect(200, 'GET', '/api/tasks/stats')
      await expect(401, 'GET', '/api/tasks/stats', undefined, anonymous)
      await expect(200, 'GET', '/api/tasks/history')
      await expect(401, 'GET', '/api/tasks/history', undefined, anonymous)
      await expect(200, 'GET', `/api/tasks/${ranId}`)
      await expect(404, 'GET', '/api/tasks/999')
      const logs = `/api/tasks/${ranId}/executions/${runId}/logs`
      await expect(200, 'GET', logs)
      await expect(200, 'GET', `${logs}?offset=0&limit=3`)
      const download = await app.fetch(`${logs}?download=1`)
      assert.equal(download.status, 200, 'download')
      assert.equal(await download.text(), 'hello\n')
      await readUntilComplete(await app.fetch(`${logs}?stream=true`))
      await expect(400, 'GET', `${logs}?stream=true&offset=0`)
      await expect(404, 'GET', `/api/tasks/${ranId}/executions/999/logs`)
      await expect(200, 'GET', `/api/tasks/${ranId}/files`)
      await expect(404, 'GET', '/api/tasks/999/files')
      await expect(200, 'GET', `/api/tasks/${ranId}/files/content?path=job.py`)
      await expect(400, 'GET', `/api/tasks/${ranId}/files/content?path=../job.py`)
      await expect(200, 'PUT', `/api/tasks/${ranId}`, { task_name: 'hello-again', priority: 'high' })
      await expect(400, 'PUT', `/api/tasks/${ranId}`, { nmae: 'typo' })
      const script = new FormData()
      script.set('script_file', new Blob(['print("again")\n']), 'job.py')
      script.set('force', 'true')
      assert.equal((await app.json(`/api/tasks/${ranId}/update-script`, { method: 'POST', body: script })).status, 200, 'update-script')
      const noTask = new FormData()
      noTask.set('script_file', new Blob(['print("again")\n']), 'job.py')
      assert.equal((await app.json('/api/tasks/999/update-script', { method: 'POST', body: noTask })).status, 404)

      // A task in the venv: changing its requirements answers requirements_update.
      const inVenv = await app.createTask({ conda_env: 'science', task_name: 'venv-task', cron_expression: '0 0 1 1 *' })
      assert.equal(inVenv.status, 201, JSON.stringify(inVenv.body))
      const updated = await expect(200, 'PUT', `/api/tasks/${inVenv.body.task.task_id}`, { requirements: 'tyb-beta==2.1\n' })
      assert.equal(updated.requirements_update.success, true, JSON.stringify(updated))

      const long = await app.createTask(
        { conda_env: 'base', task_name: 'long', cron_expression: '0 0 1 1 *' },
        { name: 'job.py', content: 'import time\ntime.sleep(60)\n' },
      )
      const longId = long.body.task.task_id as number
      await expect(400, 'POST', `/api/tasks/${longId}/resume`)
      await expect(200, 'POST', `/api/tasks/${longId}/trigger`)
      await app.runningRun(longId)
      await expect(200, 'POST', `/api/tasks/${longId}/pause`)
      await expect(404, 'POST', '/api/tasks/999/pause')
      await expect(200, 'POST', `/api/tasks/${longId}/resume`)
      await expect(404, 'POST', '/api/tasks/999/resume')
      await expect(200, 'GET', '/api/system/processes')
      await expect(401, 'GET', '/api/system/processes', undefined, anonymous)
      await expect(200, 'POST', `/api/tasks/${longId}/stop`)
      await expect(404, 'POST', '/api/tasks/999/stop')
      await expect(200, 'DELETE', `/api/tasks/${longId}`)
      await expect(404, 'DELETE', `/api/tasks/${longId}`)
      await expect(200, 'GET', '/api/system')
      await expect(401, 'GET', '/api/system', undefined, anonymous)

      // Runs in detail (issue 8): reads, result files, retries, input.
      await expect(200, 'GET', `/api/executions/${runId}`)
      await expect(404, 'GET', '/api/executions/999')
      await expect(200, 'GET', `/api/tasks/${ranId}/executions?page=1&page_size=5`)
      await expect(400, 'GET', `/api/tasks/${ranId}/executions?page=0`)
      await expect(200, 'GET', '/api/tasks/status')
      await expect(401, 'GET', '/api/tasks/status', undefined, anonymous)
      const withFiles = await app.createTask(
        { conda_env: 'base', task_name: 'leaves-a-file', cron_expression: '0 0 1 1 *', interactive: 'true', timeout_seconds: '600' },
        {
          name: 'job.py',
          content:
            'import os, sys\nopen(os.path.join(os.environ["TASKYARD_OUTPUT_DIR"], "out.txt"), "w").write("result")\nsys.exit(0 if sys.stdin.read() == "go\\n" else 3)\n',
        },
      )
      assert.equal(withFiles.status, 201, JSON.stringify(withFiles.body))
      const filesId = withFiles.body.task.task_id as number
      await expect(200, 'POST', `/api/tasks/${filesId}/trigger`)
      const filesRun = await app.runningRun(filesId)
      await expect(200, 'POST', `/api/executions/${filesRun.runId}/input`, { text: 'go\n', close: true })
      await expect(400, 'POST', `/api/executions/${runId}/input`, { text: 'late' })
      await app.runFinished(filesRun.runId)
      await expect(200, 'GET', `/api/executions/${filesRun.runId}/artifacts`)
      await expect(404, 'GET', '/api/executions/999/artifacts')
      const artifact = await app.fetch(`/api/executions/${filesRun.runId}/artifacts/out.txt`)
      assert.equal(artifact.status, 200, 'artifact download')
      assert.equal(await artifact.text(), 'result')
      await expect(404, 'GET', `/api/executions/${filesRun.runId}/artifacts/nothing.txt`)
      const failing = await app.createTask(
        { conda_env: 'base', task_name: 'fails', cron_expression: '0 0 1 1 *' },
        { name: 'job.py', content: 'raise SystemExit(2)\n' },
      )
      const failingId = failing.body.task.task_id as number
      await expect(200, 'POST', `/api/tasks/${failingId}/trigger`)
      const failedRun = await app.runningRun(failingId)
      await app.runFinished(failedRun.runId)
      const retried = await expect(200, 'POST', `/api/executions/${failedRun.runId}/retry`)
      await expect(400, 'POST', `/api/executions/${runId}/retry`)
      await app.runFinished(Number(retried.new_execution_id))
      await expect(200, 'POST', `/api/tasks/${failingId}/retry`)
      await expect(404, 'POST', '/api/tasks/999/retry')
      await expect(200, 'POST', '/api/executions/retry', { execution_ids: [runId] })
      await expect(400, 'POST', '/api/executions/retry', { execution_ids: [] })

      // The queue (issue 8): settings, priority, cancel.
      await expect(200, 'GET', '/api/settings')
      await expect(401, 'GET', '/api/settings', undefined, anonymous)
      await expect(200, 'PUT', '/api/settings', { max_workers: 8 })
      await expect(403, 'PUT', '/api/settings', { max_workers: 1 }, olga)
      await expect(200, 'POST', `/api/tasks/${ranId}/priority`, { priority: 'low' })
      await expect(404, 'POST', '/api/tasks/999/priority', { priority: 'low' })
      await expect(200, 'GET', '/api/queue')
      await expect(401, 'GET', '/api/queue', undefined, anonymous)
      const cancelled = await app.createTask(
        { conda_env: 'base', task_name: 'to-cancel', cron_expression: '0 0 1 1 *', task_type: 'batch' },
        { name: 'job.py', content: 'import time\ntime.sleep(60)\n' },
      )
      const cancelledId = cancelled.body.task.task_id as number
      await expect(200, 'POST', `/api/tasks/${cancelledId}/trigger`)
      const toCancel = await app.runningRun(cancelledId)
      await expect(200, 'POST', `/api/executions/${toCancel.runId}/cancel`)
      await expect(404, 'POST', '/api/executions/999/cancel')
      await app.runFinished(toCancel.runId)
      await expect(200, 'POST', '/api/tasks/cancel-by-type', { task_type: 'batch', cancel_running: true })
      await expect(400, 'POST', '/api/tasks/cancel-by-type', {})
      await expect(200, 'POST', '/api/tasks/cancel-all', { cancel_running: false })
      await expect(403, 'POST', '/api/tasks/cancel-all', {}, { bearer: viewer.bearer })

      // Schedules and time (issue 8).
      await expect(200, 'PUT', `/api/tasks/${ranId}`, { time_zone: 'Europe/Berlin', misfire: 'skip' })
      await expect(200, 'GET', '/api/schedules')
      await expect(401, 'GET', '/api/schedules', undefined, anonymous)
      await expect(200, 'GET', `/api/schedules/${ranId}`)
      await expect(404, 'GET', '/api/schedules/999')
      await expect(200, 'PUT', `/api/schedules/${ranId}`, { description: 'new year', is_enabled: true })
      await expect(400, 'PUT', `/api/schedules/${ranId}`, { time_zone: 'Mars/Olympus' })
      await expect(200, 'GET', `/api/schedules/${ranId}/history`)
      await expect(404, 'GET', '/api/schedules/999/history')

      // Registered servers (issue 12), against a real OpenSSH server.
      const server = { name: 'loopback', host: sshd.host, port: sshd.port, username: sshd.username, private_key: sshd.key.privateKey, labels: ['lab'] }
      const registered = await expect(201, 'POST', '/api/servers', server)
      await expect(400, 'POST', '/api/servers', { name: 'incomplete' })
      const id = registered.server.id as number
      await expect(200, 'GET', '/api/servers')
      await expect(401, 'GET', '/api/servers', undefined, anonymous)
      await expect(200, 'GET', `/api/servers/${id}`)
      await expect(404, 'GET', '/api/servers/999')
      await expect(200, 'PUT', `/api/servers/${id}`, { description: 'the test sshd' })
      await expect(404, 'PUT', '/api/servers/999', { description: 'none' })
      await expect(200, 'POST', `/api/servers/${id}/test`)
      await expect(404, 'POST', '/api/servers/999/test')
      // Shell tasks on the server (spec 001): the JSON create, the paged list, the execution record.
      const shell = await expect(200, 'POST', '/api/tasks', { name: 'remote-echo', command: 'echo hi', server_id: id, cron_expr: '@once' })
      await expect(400, 'POST', '/api/tasks', { name: 'remote-sudo', command: 'sudo true', server_id: id, cron_expr: '@once' })
      const shellRun = (await app.store.runs.listForTask(shell.task.id as number, 1))[0]!
      await app.runFinished(shellRun.id)
      await expect(200, 'GET', `/api/task/${shellRun.id}/log`)
      await expect(404, 'GET', '/api/task/999/log')
      await expect(200, 'GET', '/api/tasks?page=1&page_size=5')
      await expect(400, 'GET', '/api/tasks?page=0')
      await expect(200, 'DELETE', `/api/tasks/${shell.task.id}`)
      await sshd.replaceHostKey()
      await expect(409, 'POST', `/api/servers/${id}/test`)
      await expect(400, 'POST', `/api/servers/${id}/host-key`, { fingerprint: 'SHA256:not-the-offered-one' })
      await expect(200, 'POST', `/api/servers/${id}/host-key`, { fingerprint: sshd.hostKeyFingerprint() })
      await expect(200, 'DELETE', `/api/servers/${id}`)
      await expect(404, 'DELETE', `/api/servers/${id}`)

      // Last, so the audit log holds an entry of every kind above.
      const audit = await expect(200, 'GET', '/api/audit?limit=1000')
      assert.ok(audit.entries.length > 20, `${audit.entries.length} audit entries`)
      await expect(403, 'GET', '/api/audit', undefined, { bearer: viewer.bearer })

      await checker.settled()
      assert.deepEqual(checker.problems(), [])
      assert.ok(checker.answers.length > 100, `${checker.answers.length} answers checked`)
    })
  })
}

describe('the response checker itself', () => {
  it('names a route with no schema, a route never exercised, a field the schema misses and a wrong type', async (t) => {
    const checker = new ResponseChecker()
    const app = Fastify()
    t.after(() => app.close())
    checker.instrument(app)
    const closedBody = { type: 'object', additionalProperties: false, required: ['a'], properties: { a: { type: 'integer' } } } as const
    const errors = { '4xx': { $ref: 'ErrorBody#' } } as const
    for (const schema of SHARED_SCHEMAS) app.addSchema(schema)
    app.get('/unschematic', async () => ({ a: 1 }))
    app.get('/never', { schema: { response: { 200: closedBody, ...errors } } }, async () => ({ a: 1 }))
    app.get('/extra', { schema: { response: { 200: closedBody, ...errors } } }, async () => ({ a: 1, b: 'dropped on the wire' }))
    app.get('/float', { schema: { response: { 200: closedBody, ...errors } } }, async () => ({ a: 1.5 }))
    app.get('/good', { schema: { response: { 200: closedBody, ...errors } } }, async (request, reply) => {
      if ((request.query as { fail?: string }).fail) return reply.status(404).send({ success: false, message: 'Not here' })
      return { a: 1 }
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
    for (const p of ['/unschematic', '/extra', '/float', '/good', '/good?fail=1']) await (await fetch(base + p)).text()
    // What the wire shows hides both faults: that is why the checker reads the body before serialization.
    assert.equal(await (await fetch(base + '/extra')).text(), '{"a":1}')
    assert.equal(await (await fetch(base + '/float')).text(), '{"a":1}')
    await checker.settled()
    const problems = checker.problems()
    assert.ok(problems.includes('GET /unschematic: no response schema'), problems.join('\n'))
    assert.ok(problems.includes('GET /never: no success answer exercised it'), problems.join('\n'))
    assert.ok(
      problems.some((p) => p.startsWith('GET /extra → 200: data must NOT have additional properties')),
      problems.join('\n'),
    )
    assert.ok(
      problems.some((p) => p.startsWith('GET /float → 200: data/a must be integer')),
      problems.join('\n'),
    )
    assert.equal(
      problems.some((p) => p.startsWith('GET /good →')),
      false,
      problems.join('\n'),
    )
  })
})
