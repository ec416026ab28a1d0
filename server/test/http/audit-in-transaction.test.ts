/**
 * Issue 7: a change and its audit entry are one transaction. The database itself refuses every
 * audit entry here (a trigger, as a full disk or a broken table would), and each audited write
 * must then answer an error and leave everything as it was: no task, run, user or token without
 * its entry. Then the trigger goes and the same writes pass, so the trigger was the only cause.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects, type TestDialect } from '../helpers/test-dialects.ts'
import { execRaw } from '../store/auth-fixtures.ts'

const JSON_HEADERS = { 'content-type': 'application/json' }

const REFUSE_AUDIT: Record<TestDialect['name'], { create: string; drop: string }> = {
  sqlite: {
    create: `CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit entries refused'); END`,
    drop: 'DROP TRIGGER refuse_audit',
  },
  postgres: {
    create: `CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit entries refused'; END $$;
      CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()`,
    drop: 'DROP TRIGGER refuse_audit ON audit_log; DROP FUNCTION refuse_audit()',
  },
}

const send = (app: TestApp, method: string, p: string, body?: unknown) =>
  app.json(p, { method, ...(body === undefined ? {} : { headers: JSON_HEADERS, body: JSON.stringify(body) }) })

/** Everything an audited write could change, read from the store and the data directory. */
async function snapshot(app: TestApp) {
  const tasks = await app.store.tasks.list()
  return {
    tasks: tasks.map((t) => ({ id: t.id, name: t.name, status: t.status, priority: t.priority, updatedAt: t.updatedAt })),
    runs: (await Promise.all(tasks.map((t) => app.store.runs.listForTask(t.id, 100)))).flat().map((r) => ({ id: r.id, status: r.status })),
    users: (await app.store.users.list()).map((u) => ({ id: u.id, username: u.username, role: u.role, disabled: u.disabled })),
    tokens: (await app.store.apiTokens.listForUser(1)).map((t) => ({ id: t.id, revokedAt: t.revokedAt })),
    taskDirs: readdirSync(path.join(app.dataDir, 'tasks')).sort(),
    uploads: readdirSync(path.join(app.dataDir, 'uploads')),
    audit: (await app.store.auditLog.list({ limit: 1000 })).length,
  }
}

for (const dialect of testDialects()) {
  describe(`audit entries in the change's transaction (${dialect.name})`, { timeout: 300_000 }, () => {
    it('a refused audit entry rolls back every audited write: nothing changes, nothing is left behind', async (t) => {
      const app = await createTestApp(t, { dialect })
      // Its run, once the trigger passes, outlives the test's pause, stop and delete: no timing in the outcome.
      const created = await app.createTask({ conda_env: 'base', task_name: 'kept', delay_seconds: '3600', command: 'sleep 600' })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const id = created.body.task.task_id as number
      const operator = await app.addUser('op', 'operator')
      const token = await send(app, 'POST', '/api/auth/tokens', { name: 'ci' })
      assert.equal(token.status, 201, JSON.stringify(token.body))
      const before = await snapshot(app)

      await execRaw(dialect.name, app.databaseUrl, REFUSE_AUDIT[dialect.name].create)
      const writes: [string, () => Promise<{ status: number; body: unknown }>][] = [
        ['create task', () => app.createTask({ conda_env: 'base', task_name: 'new', command: 'true' })],
        ['trigger', () => send(app, 'POST', `/api/tasks/${id}/trigger`)],
        ['pause', () => send(app, 'POST', `/api/tasks/${id}/pause`)],
        ['stop', () => send(app, 'POST', `/api/tasks/${id}/stop`)],
        ['update', () => send(app, 'PUT', `/api/tasks/${id}`, { task_name: 'renamed', priority: 'high' })],
        ['delete', () => send(app, 'DELETE', `/api/tasks/${id}`)],
        ['create user', () => send(app, 'POST', '/api/users', { username: 'second', password: 'second-password-1', role: 'viewer' })],
        ['disable user', () => send(app, 'PATCH', `/api/users/${operator.id}`, { disabled: true })],
        ['create token', () => send(app, 'POST', '/api/auth/tokens', { name: 'other' })],
        ['revoke token', () => send(app, 'DELETE', `/api/auth/tokens/${token.body.token.token_id}`)],
      ]
      for (const [name, write] of writes) {
        const res = await write()
        assert.equal(res.status, 500, `${name}: ${JSON.stringify(res.body)}`)
        assert.deepEqual(await snapshot(app), before, `${name} changed something without its audit entry`)
      }
      // The operator was not disabled: its credentials still work.
      assert.equal((await app.jsonAs({ bearer: operator.bearer }, '/api/auth/me')).status, 200)

      await execRaw(dialect.name, app.databaseUrl, REFUSE_AUDIT[dialect.name].drop)
      for (const [name, write] of writes) {
        const res = await write()
        assert.ok(res.status < 300, `${name} once entries are accepted: ${res.status} ${JSON.stringify(res.body)}`)
      }
      const entries = await app.store.auditLog.list({ limit: 1000 })
      assert.deepEqual(
        entries.slice(0, writes.length).map((e) => e.action),
        ['token.revoke', 'token.create', 'user.update', 'user.create', 'task.delete', 'task.update', 'task.stop', 'task.pause', 'task.trigger', 'task.create'],
      )
      assert.equal(existsSync(path.join(app.dataDir, 'tasks', String(id))), false)
    })

    it('a refused audit entry of an environment rename gives the directory its old name back', async (t) => {
      const app = await createTestApp(t, { dialect })
      assert.equal((await send(app, 'POST', '/api/conda/environment', { name: 'work' })).status, 201)
      const created = await app.createTask({ conda_env: 'work', task_name: 'user', delay_seconds: '3600', command: 'true' })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      await execRaw(dialect.name, app.databaseUrl, REFUSE_AUDIT[dialect.name].create)
      const res = await send(app, 'PUT', '/api/conda/environment/work', { new_name: 'moved' })
      assert.equal(res.status, 500, JSON.stringify(res.body))
      assert.deepEqual(
        readdirSync(path.join(app.dataDir, 'envs'))
          .filter((n) => !n.startsWith('.'))
          .sort(),
        ['base', 'work'],
      )
      assert.equal((await app.store.tasks.findById(created.body.task.task_id))?.condaEnv, 'work')
    })
  })
}
