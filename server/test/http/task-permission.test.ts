/**
 * assertTaskPermission, the one check every task route makes before its service runs: every
 * role × own / someone else's / ownerless / no task × every permission, against a real store;
 * then through HTTP, one refused and one allowed request per action route, ownerless tasks
 * included. The expected table is written out here, not read from domain/user.ts.
 */
import assert from 'node:assert/strict'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { TaskyardError } from '../../src/domain/errors.ts'
import type { TaskStatus } from '../../src/domain/task.ts'
import type { Role, TaskPermission, User } from '../../src/domain/user.ts'
import { assertTaskPermission } from '../../src/services/auth/task-permission.ts'
import type { Store } from '../../src/store/store.ts'
import { createTestApp, type Credential, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const PERMISSIONS: TaskPermission[] = ['read', 'create', 'trigger', 'stop', 'pause', 'resume', 'delete', 'update']
type Target = 'no task' | 'own' | "someone else's" | 'ownerless'
const TARGETS: Target[] = ['no task', 'own', "someone else's", 'ownerless']

/** spec 000's 403 words for each permission. */
const WHAT: Record<TaskPermission, string> = {
  read: 'view this task',
  create: 'create tasks',
  trigger: 'trigger this task',
  stop: 'stop this task',
  pause: 'pause this task',
  resume: 'resume this task',
  delete: 'delete this task',
  update: 'update this task',
}

/** Issue 3: admin everything; operator reads all, creates, controls only what it owns; viewer reads. */
function expectedAllowed(role: Role, permission: TaskPermission, target: Target): boolean {
  if (role === 'admin' || permission === 'read') return true
  if (role === 'viewer') return false
  if (permission === 'create') return true
  return target === 'own'
}

const forbidden = (what: string) => ({ success: false, message: 'Unauthorized - Insufficient privileges', error: `You do not have permission to ${what}` })
/** The same refusal as the service throws it. */
const refused = (what: string) => ({ code: 'forbidden', message: 'Unauthorized - Insufficient privileges', error: `You do not have permission to ${what}` })

function user(id: number, role: Role): User {
  return { id, username: `u${id}`, role, disabled: false, createdAt: 1, updatedAt: 1, credentialsChangedAt: 1 }
}

async function insertTask(store: Store, name: string, ownerId: number | null, status: TaskStatus = 'completed'): Promise<number> {
  const task = await store.tasks.insert({
    name,
    source: 'file',
    scriptFile: 'job.py',
    command: 'true',
    condaEnv: 'base',
    requirements: null,
    cronExpression: null,
    delaySeconds: null,
    priority: 5,
    status,
    createdAt: 1,
    updatedAt: 1,
    nextRunAt: null,
    ownerId,
  })
  return task.id
}

/** The refusal as a plain value: which error, with what body, or 'allowed'. */
async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
    return 'allowed'
  } catch (error) {
    assert.ok(error instanceof TaskyardError, String(error))
    return { code: error.code, message: error.message, ...error.details }
  }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: assertTaskPermission`, () => {
    it('decides every role × target × permission as issue 3 says, with spec 000 403 words', async (t) => {
      const opened = await dialect.open()
      t.after(() => opened.cleanup())
      const { store } = opened
      const ME = 7
      const ids: Record<Exclude<Target, 'no task'>, number> = {
        own: await insertTask(store, 'mine', ME),
        "someone else's": await insertTask(store, 'theirs', ME + 1),
        ownerless: await insertTask(store, 'legacy', null),
      }
      const actual: string[] = []
      const expected: string[] = []
      for (const role of ['admin', 'operator', 'viewer'] as const) {
        for (const permission of PERMISSIONS) {
          for (const target of TARGETS) {
            const taskId = target === 'no task' ? null : ids[target]
            const got = await outcome(assertTaskPermission({ store }, user(ME, role), permission, taskId))
            const want = expectedAllowed(role, permission, target) ? 'allowed' : refused(WHAT[permission])
            const label = `${role} ${permission} ${target}`
            actual.push(`${label}: ${JSON.stringify(got)}`)
            expected.push(`${label}: ${JSON.stringify(want)}`)
          }
        }
      }
      // One comparison of the whole table: a failure shows every wrong cell at once.
      assert.deepEqual(actual, expected)
    })

    it('refuses anyone not logged in with spec 000 401, before looking at the task', async (t) => {
      const opened = await dialect.open()
      t.after(() => opened.cleanup())
      const id = await insertTask(opened.store, 'x', 1)
      for (const permission of PERMISSIONS) {
        for (const taskId of [null, id, 99_999]) {
          assert.deepEqual(
            await outcome(assertTaskPermission({ store: opened.store }, null, permission, taskId)),
            {
              code: 'unauthenticated',
              message: 'Authentication required',
              error: 'Please log in to perform this operation',
            },
            `${permission} ${taskId}`,
          )
        }
      }
    })

    it('answers a task that does not exist with 404 before ownership, for every role and permission', async (t) => {
      const opened = await dialect.open()
      t.after(() => opened.cleanup())
      for (const role of ['admin', 'operator', 'viewer'] as const) {
        for (const permission of PERMISSIONS) {
          assert.deepEqual(
            await outcome(assertTaskPermission({ store: opened.store }, user(3, role), permission, 424_242)),
            {
              code: 'task_not_found',
              message: 'Task with ID 424242 not found',
            },
            `${role} ${permission}`,
          )
        }
      }
    })

    it('reads the owner from the store at the time of the check, not from what the caller knew', async (t) => {
      const opened = await dialect.open()
      t.after(() => opened.cleanup())
      const id = await insertTask(opened.store, 'moving', 5)
      const operator = user(5, 'operator')
      assert.equal(await outcome(assertTaskPermission({ store: opened.store }, operator, 'stop', id)), 'allowed')
      await opened.store.tasks.update(id, { ownerId: 6 })
      assert.deepEqual(await outcome(assertTaskPermission({ store: opened.store }, operator, 'stop', id)), refused('stop this task'))
    })
  })
}

/** Each task route, the permission it needs, and a status from which its transition is allowed. */
const ROUTES: { action: string; what: string; status: TaskStatus; request(app: TestApp, id: number): [string, RequestInit] }[] = [
  { action: 'trigger', what: 'trigger this task', status: 'completed', request: (_, id) => [`/api/tasks/${id}/trigger`, { method: 'POST' }] },
  { action: 'stop', what: 'stop this task', status: 'paused', request: (_, id) => [`/api/tasks/${id}/stop`, { method: 'POST' }] },
  { action: 'pause', what: 'pause this task', status: 'running', request: (_, id) => [`/api/tasks/${id}/pause`, { method: 'POST' }] },
  { action: 'resume', what: 'resume this task', status: 'paused', request: (_, id) => [`/api/tasks/${id}/resume`, { method: 'POST' }] },
  { action: 'delete', what: 'delete this task', status: 'failed', request: (_, id) => [`/api/tasks/${id}`, { method: 'DELETE' }] },
  {
    action: 'update',
    what: 'update this task',
    status: 'stopped',
    request: (_, id) => [
      `/api/tasks/${id}`,
      { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: 'echo changed' }) },
    ],
  },
  {
    action: 'update-script',
    what: 'update this task',
    status: 'completed',
    request: (_, id) => {
      const form = new FormData()
      form.set('script_file', new Blob(['print("new")\n']), 'new.py')
      return [`/api/tasks/${id}/update-script`, { method: 'POST', body: form }]
    },
  },
]

for (const dialect of testDialects()) {
  describe(`${dialect.name}: task routes check permission before acting`, () => {
    it('per action: viewer, other operator and ownerless are refused with 403 and nothing changes; owner and admin succeed', async (t) => {
      const app = await createTestApp(t, { dialect })
      const owner = await app.addUser('owner', 'operator')
      const other = await app.addUser('other', 'operator')
      const viewer = await app.addUser('viewer', 'viewer')
      let n = 0
      const seed = async (ownerId: number | null, status: TaskStatus) => {
        const id = await insertTask(app.store, `p${n++}`, ownerId, status)
        await mkdir(app.paths.taskDir(id), { recursive: true })
        await writeFile(`${app.paths.taskDir(id)}/job.py`, 'print("old")\n')
        return id
      }
      const state = async (id: number) => ({
        task: await app.store.tasks.findById(id),
        runs: await app.store.runs.listForTask(id, 10),
        files: await readdir(app.paths.taskDir(id)),
      })
      const cases: [who: string, credential: Credential, ownerId: () => number | null, allowed: boolean][] = [
        ['viewer on its own task', { bearer: viewer.bearer }, () => viewer.id, false],
        ["operator on another operator's task", { bearer: other.bearer }, () => owner.id, false],
        ['operator on an ownerless task', { bearer: owner.bearer }, () => null, false],
        ['operator on its own task (cookie)', { cookie: owner.cookie }, () => owner.id, true],
        ['admin on an ownerless task', { bearer: app.adminToken }, () => null, true],
        ["admin on an operator's task", { bearer: app.adminToken }, () => owner.id, true],
      ]
      for (const route of ROUTES) {
        for (const [who, credential, ownerId, allowed] of cases) {
          const id = await seed(ownerId(), route.status)
          const before = await state(id)
          const res = await app.jsonAs(credential, ...route.request(app, id))
          const label = `${route.action}: ${who}`
          if (!allowed) {
            assert.deepEqual([res.status, res.body], [403, forbidden(route.what)], label)
            assert.deepEqual(await state(id), before, `${label} changed nothing`)
          } else {
            assert.equal(res.status, 200, `${label}: ${JSON.stringify(res.body)}`)
            assert.equal(res.body.success, true, label)
          }
          const run = (await app.store.runs.listForTask(id, 1))[0]
          if (run && run.id !== before.runs[0]?.id) await app.runFinished(run.id)
        }
        const anonymous = await app.jsonAs(null, ...route.request(app, await seed(owner.id, route.status)))
        assert.deepEqual(
          [anonymous.status, anonymous.body],
          [
            401,
            {
              success: false,
              message: 'Authentication required',
              error: 'Please log in to perform this operation',
            },
          ],
          `${route.action}: anonymous`,
        )
      }
      assert.deepEqual(await readdir(app.paths.uploadsDir), [])
    })
  })
}
