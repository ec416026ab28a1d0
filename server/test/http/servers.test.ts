/** Registered servers over HTTP (issue 12), against a real OpenSSH server on 127.0.0.1. */
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import type { RunEvent } from '../../src/executor/executor.ts'
import { assertCommandAllowed } from '../../src/services/servers/check-command.ts'
import { executorForServer } from '../../src/services/servers/server-executor.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { generateUserKey, sshdSkipReason, startTestSshServer, type TestSshServer } from '../helpers/ssh-server.ts'
import { newTask } from '../store/store-fixtures.ts'

const JSON_HEADERS = { 'content-type': 'application/json' }
const DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/
const send = (app: TestApp, method: string, p: string, body?: unknown) =>
  app.json(p, { method, ...(body === undefined ? {} : { headers: JSON_HEADERS, body: JSON.stringify(body) }) })

function keyServer(sshd: TestSshServer, overrides: Record<string, unknown> = {}) {
  return { name: 'loopback', host: sshd.host, port: sshd.port, username: sshd.username, private_key: sshd.key.privateKey, ...overrides }
}

/** Every byte the database holds, as text: the SQLite files, or the servers table's rows on PostgreSQL. */
async function databaseText(app: TestApp): Promise<string> {
  if (app.databaseUrl.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: app.databaseUrl })
    await client.connect()
    try {
      const servers = await client.query('SELECT * FROM servers')
      const audit = await client.query('SELECT * FROM audit_log')
      return JSON.stringify([servers.rows, audit.rows])
    } finally {
      await client.end()
    }
  }
  const dir = app.dataDir
  return readdirSync(dir)
    .filter((name) => name.startsWith('taskyard.db'))
    .map((name) => readFileSync(path.join(dir, name), 'latin1'))
    .join('\n')
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: /api/servers`, { skip: sshdSkipReason(), timeout: 120_000 }, () => {
    let sshd: TestSshServer
    before(async () => {
      sshd = await startTestSshServer()
    })
    after(() => sshd.stop())

    it('an admin registers a key server; answers, the audit log and the database never hold the key', async (t) => {
      const app = await createTestApp(t, { dialect })
      const created = await send(app, 'POST', '/api/servers', keyServer(sshd, { labels: ['lab', 'lab', 'ci'], description: 'the test sshd' }))
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const server = {
        id: 1,
        name: 'loopback',
        host: '127.0.0.1',
        port: sshd.port,
        username: sshd.username,
        auth_method: 'key',
        labels: ['lab', 'ci'],
        description: 'the test sshd',
        host_key_fingerprint: null,
        offered_host_key_fingerprint: null,
        operator_ids: [],
        created_at: created.body.server.created_at,
        updated_at: created.body.server.updated_at,
      }
      assert.match(server.created_at, DATE)
      assert.deepEqual(created.body, { success: true, message: 'Server created', server })
      assert.deepEqual((await send(app, 'GET', '/api/servers/1')).body, { success: true, server })
      assert.deepEqual((await send(app, 'GET', '/api/servers')).body, { success: true, servers: [server] })

      const keyBody = sshd.key.privateKey.split('\n')[1] ?? ''
      assert.ok(keyBody.length > 20)
      const audit = await send(app, 'GET', '/api/audit')
      assert.equal(JSON.stringify(audit.body).includes(keyBody), false)
      assert.ok(JSON.stringify(audit.body).includes('server.create'))
      const stored = await databaseText(app)
      assert.ok(stored.length > 0)
      assert.equal(stored.includes(keyBody), false, 'the private key is in the database in clear text')
      assert.equal(stored.includes('OPENSSH PRIVATE KEY'), false)
    })

    it('test connects, reports latency and the host key, and pins it on first use', async (t) => {
      const app = await createTestApp(t, { dialect })
      await send(app, 'POST', '/api/servers', keyServer(sshd))
      const first = await send(app, 'POST', '/api/servers/1/test')
      assert.equal(first.status, 200, JSON.stringify(first.body))
      assert.equal(first.body.host_key_fingerprint, sshd.hostKeyFingerprint())
      assert.equal(first.body.host_key_pinned, true)
      assert.equal(typeof first.body.latency_ms, 'number')
      assert.ok(first.body.latency_ms > 0)
      assert.equal(first.body.server.host_key_fingerprint, sshd.hostKeyFingerprint())
      const second = await send(app, 'POST', '/api/servers/1/test')
      assert.equal(second.body.host_key_pinned, false)
    })

    it('a changed host key is refused until an admin accepts exactly the offered one', async (t) => {
      const app = await createTestApp(t, { dialect })
      await send(app, 'POST', '/api/servers', keyServer(sshd))
      await send(app, 'POST', '/api/servers/1/test')
      const pinned = sshd.hostKeyFingerprint()
      await sshd.replaceHostKey()
      const offered = sshd.hostKeyFingerprint()
      const refused = await send(app, 'POST', '/api/servers/1/test')
      assert.equal(refused.status, 409)
      assert.deepEqual(refused.body, {
        success: false,
        message: 'Host key changed',
        error: "The host key of server 'loopback' changed; nothing was sent. An admin may accept the new key with POST /api/servers/1/host-key",
        pinned_fingerprint: pinned,
        offered_fingerprint: offered,
      })
      const wrong = await send(app, 'POST', '/api/servers/1/host-key', { fingerprint: pinned })
      assert.equal(wrong.status, 400)
      assert.equal(wrong.body.message, 'Fingerprint does not match the offered host key')
      const operator = await app.addUser('olga', 'operator')
      const forbidden = await app.jsonAs({ bearer: operator.bearer }, '/api/servers/1/host-key', {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify({ fingerprint: offered }),
      })
      assert.equal(forbidden.status, 403)
      assert.equal((await send(app, 'GET', '/api/servers/1')).body.server.host_key_fingerprint, pinned)

      const accepted = await send(app, 'POST', '/api/servers/1/host-key', { fingerprint: offered })
      assert.equal(accepted.status, 200)
      assert.equal(accepted.body.server.host_key_fingerprint, offered)
      assert.equal(accepted.body.server.offered_host_key_fingerprint, null)
      const again = await send(app, 'POST', '/api/servers/1/test')
      assert.equal(again.status, 200)
      assert.equal(again.body.host_key_pinned, false)
    })

    it('a new host or port drops the pinned key; a wrong credential is a 502 that says why', async (t) => {
      const app = await createTestApp(t, { dialect })
      await send(app, 'POST', '/api/servers', keyServer(sshd))
      await send(app, 'POST', '/api/servers/1/test')
      const moved = await send(app, 'PUT', '/api/servers/1', { host: 'localhost' })
      assert.equal(moved.status, 200)
      assert.equal(moved.body.server.host_key_fingerprint, null)
      const stranger = generateUserKey()
      await send(app, 'PUT', '/api/servers/1', { private_key: stranger.privateKey })
      const failed = await send(app, 'POST', '/api/servers/1/test')
      assert.deepEqual(failed.body, { success: false, message: 'Cannot connect to server', error: 'authentication failed (wrong username, password or key)' })
      assert.equal(failed.status, 502)
    })

    it('refuses bad input with a 400 naming the fault, and stores nothing', async (t) => {
      const app = await createTestApp(t, { dialect })
      const viewer = await app.addUser('vera', 'viewer')
      const encrypted = generateUserKey('s3cret phrase')
      const cases: Array<[Record<string, unknown>, string]> = [
        [keyServer(sshd, { password: 'x' }), 'give either password or private_key, not both'],
        [{ name: 'x', host: '127.0.0.1', username: 'u' }, 'password or private_key is required'],
        [keyServer(sshd, { host: '-oProxyCommand=x' }), 'host must be a host name or an IP address'],
        [keyServer(sshd, { username: 'a b' }), "username must be 1-64 letters, digits, '.', '_' or '-'"],
        [keyServer(sshd, { private_key: 'not a key' }), 'the private key cannot be read: Unsupported key format'],
        [keyServer(sshd, { private_key: encrypted.privateKey }), 'the private key is encrypted: the passphrase is missing or wrong'],
        [keyServer(sshd, { operator_ids: [viewer.id] }), `operator_ids: user ${viewer.id} is not an operator`],
        [keyServer(sshd, { name: ' padded' }), 'name must be non-blank, without surrounding spaces or control characters'],
      ]
      for (const [body, error] of cases) {
        const res = await send(app, 'POST', '/api/servers', body)
        assert.deepEqual({ status: res.status, body: res.body }, { status: 400, body: { success: false, message: 'Invalid request', error } })
      }
      const badPort = await send(app, 'POST', '/api/servers', keyServer(sshd, { port: 70000 }))
      assert.equal(badPort.status, 400)
      const unknown = await send(app, 'POST', '/api/servers', keyServer(sshd, { secret: 'x' }))
      assert.equal(unknown.body.message, 'Unknown fields in request')
      assert.deepEqual((await send(app, 'GET', '/api/servers')).body.servers, [])

      const withPhrase = await send(app, 'POST', '/api/servers', keyServer(sshd, { private_key: encrypted.privateKey, passphrase: 's3cret phrase' }))
      assert.equal(withPhrase.status, 201)
      await send(app, 'POST', '/api/servers', keyServer(sshd, { name: 'taken-later' }))
      const taken = await send(app, 'PUT', '/api/servers/2', { name: 'loopback' })
      assert.deepEqual(taken.body, { success: false, message: 'Server with this name already exists' })
      assert.equal((await send(app, 'GET', '/api/servers/2')).body.server.name, 'taken-later')
      assert.deepEqual((await send(app, 'GET', '/api/servers/01')).body, { success: false, message: 'Server with ID 01 not found' })
    })

    it('only admins manage servers; every user reads them; operators may be allowed on one', async (t) => {
      const app = await createTestApp(t, { dialect })
      const operator = await app.addUser('olga', 'operator')
      const viewer = await app.addUser('vera', 'viewer')
      const asOperator = (method: string, p: string, body?: unknown) =>
        app.jsonAs({ bearer: operator.bearer }, p, { method, ...(body === undefined ? {} : { headers: JSON_HEADERS, body: JSON.stringify(body) }) })
      const refused = await asOperator('POST', '/api/servers', keyServer(sshd))
      assert.deepEqual(refused, {
        status: 403,
        body: { success: false, message: 'Unauthorized - Insufficient privileges', error: 'You do not have permission to register servers' },
      })
      await send(app, 'POST', '/api/servers', keyServer(sshd, { operator_ids: [operator.id] }))
      for (const [method, p] of [
        ['PUT', '/api/servers/1'],
        ['DELETE', '/api/servers/1'],
        ['POST', '/api/servers/1/test'],
      ] as const) {
        assert.equal((await asOperator(method, p, method === 'PUT' ? { description: 'x' } : undefined)).status, 403, `${method} ${p}`)
      }
      assert.equal((await asOperator('PUT', '/api/servers/9', { description: 'x' })).status, 404)
      const read = await app.jsonAs({ bearer: viewer.bearer }, '/api/servers/1')
      assert.deepEqual(read.body.server.operator_ids, [operator.id])
    })

    it('a server a task runs on is not deleted unless forced; forced, the task stays without it', async (t) => {
      const app = await createTestApp(t, { dialect })
      await send(app, 'POST', '/api/servers', keyServer(sshd))
      const task = await app.store.tasks.insert(newTask({ name: 'backup' }))
      await app.store.servers.setTaskServer(task.id, 1)
      const refused = await send(app, 'DELETE', '/api/servers/1')
      assert.deepEqual(refused, {
        status: 409,
        body: {
          success: false,
          message: 'Server is used by tasks',
          error: "Server 'loopback' is used by 1 task(s); delete with force=true to detach them",
          referencing_tasks: ['backup'],
        },
      })
      assert.equal((await send(app, 'GET', '/api/servers/1')).status, 200)
      const forced = await send(app, 'DELETE', '/api/servers/1?force=true')
      assert.deepEqual(forced, { status: 200, body: { success: true, message: 'Server deleted' } })
      assert.equal((await send(app, 'GET', '/api/servers/1')).status, 404)
      assert.equal((await app.store.tasks.findById(task.id))?.name, 'backup')
      assert.equal(await app.store.servers.findTaskServer(task.id), null)
    })
  })
}

describe('/api/servers with a password account', { skip: sshdSkipReason({ password: true }), timeout: 60_000 }, () => {
  it('logs in by password; the password is never answered nor stored in clear text', async (t) => {
    const sshd = await startTestSshServer({ password: true })
    t.after(() => sshd.stop())
    const app = await createTestApp(t)
    const password = sshd.password ?? ''
    const created = await send(app, 'POST', '/api/servers', { name: 'pw', host: sshd.host, port: sshd.port, username: sshd.username, password })
    assert.equal(created.body.server.auth_method, 'password')
    assert.equal(JSON.stringify(created.body).includes(password), false)
    const tested = await send(app, 'POST', '/api/servers/1/test')
    assert.equal(tested.status, 200, JSON.stringify(tested.body))
    const stored = await databaseText(app)
    assert.equal(stored.includes(password), false)
    await send(app, 'PUT', '/api/servers/1', { password: 'wrong-password' })
    assert.equal((await send(app, 'POST', '/api/servers/1/test')).status, 502)
  })
})

describe('the seam for shell tasks: a server’s executor and the deny-list check', { skip: sshdSkipReason(), timeout: 120_000 }, () => {
  it('runs on the server by its stored credentials, pins its first host key, and reuses one executor', async (t) => {
    const sshd = await startTestSshServer()
    t.after(() => sshd.stop())
    const app = await createTestApp(t)
    await send(app, 'POST', '/api/servers', keyServer(sshd))
    const executor = await executorForServer(app.services, 1)
    assert.equal(await executorForServer(app.services, 1), executor)
    const dir = mkdtempSync(path.join(tmpdir(), 'taskyard-seam-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const exited = await new Promise<RunEvent>((resolve) =>
      executor.start(
        {
          runId: 1,
          argv: ['sh', '-c', 'echo remote'],
          cwd: dir,
          env: { PATH: '/usr/bin:/bin' },
          outputPath: path.join(dir, 'run.log'),
          timeoutMs: null,
          killGraceMs: 1000,
          sampleIntervalMs: 1000,
        },
        (event) => event.type === 'exited' && resolve(event),
      ),
    )
    assert.equal(exited.type === 'exited' && exited.exitCode, 0)
    assert.equal(readFileSync(path.join(dir, 'run.log'), 'utf8'), 'remote\n')
    assert.equal((await send(app, 'GET', '/api/servers/1')).body.server.host_key_fingerprint, sshd.hostKeyFingerprint())
  })

  it('a denied command is a command_denied error naming the rule', () => {
    assert.throws(() => assertCommandAllowed("nice sh -c 'sudo id'"), {
      code: 'command_denied',
      message: 'Command refused by the deny-list',
      details: { error: "'sudo' runs a command with other privileges (rule sudo)", rule: 'sudo' },
    })
    assert.doesNotThrow(() => assertCommandAllowed('df -h'))
  })
})
