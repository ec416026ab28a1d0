/**
 * Issue 6: the data directory's modes and owners, at creation and fixed at start for an existing
 * install, and what the run account itself can open there (checked with setpriv, whatever the
 * executor does). Against a real server.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmod, chown, lstat, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, it, type TestContext } from 'node:test'
import { loadConfig } from '../../src/config/config.ts'
import { lookupAccount } from '../../src/lib/os-accounts.ts'
import { startTaskyard, type RunningTaskyard } from '../../src/main.ts'
import { createTestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const run = promisify(execFile)
const isRoot = process.getuid?.() === 0

async function mode(p: string): Promise<string> {
  return ((await lstat(p)).mode & 0o7777).toString(8).padStart(4, '0')
}

async function owner(p: string): Promise<number> {
  return (await lstat(p)).uid
}

/** Every entry of the data directory's tree that the layout names, with its mode. */
async function layout(root: string, taskId: number, runId: number): Promise<Record<string, string>> {
  const names = ['.', 'tasks', `tasks/${taskId}`, 'outputs', `outputs/${taskId}`, `outputs/${taskId}/${runId}`, 'envs', 'logs', 'staging', 'uploads']
  const out: Record<string, string> = {}
  for (const n of names) out[n] = await mode(path.join(root, n))
  for (const f of await readdir(root, { withFileTypes: true })) if (f.isFile()) out[f.name] = await mode(path.join(root, f.name))
  return out
}

const EXPECTED_DIRS = {
  '.': '0711',
  tasks: '0711',
  outputs: '0711',
  envs: '0755',
  logs: '0700',
  staging: '0700',
  uploads: '0700',
}

async function start(t: TestContext, dataDir: string, env: Record<string, string> = {}): Promise<RunningTaskyard> {
  const config = loadConfig(
    { host: '127.0.0.1', port: '0', dataDir },
    { ...process.env, TASKYARD_ADMIN_PASSWORD: '', TASKYARD_SAMPLE_INTERVAL_MS: '100', ...env },
  )
  const server = await startTaskyard(config, { logger: false, log: () => undefined })
  t.after(() => server.close())
  return server
}

async function runTask(server: RunningTaskyard, name: string, command: string): Promise<{ taskId: number; runId: number }> {
  const task = await server.store.tasks.insert({
    name,
    source: 'file',
    scriptFile: 'job.py',
    command,
    condaEnv: 'base',
    requirements: null,
    cronExpression: null,
    delaySeconds: null,
    priority: 5,
    status: 'running',
    createdAt: 1,
    updatedAt: 1,
    nextRunAt: null,
    ownerId: null,
  })
  const staging = await mkdtemp(path.join(server.paths.stagingRoot, 'x-'))
  await server.services.files.install(staging, task.id)
  const queued = await server.store.runs.insert({ taskId: task.id, priority: 5, trigger: 'manual', queuedAt: 1 })
  const finished = server.bus.waitFor('run:finished', (e) => e.runId === queued.id)
  server.worker.wake()
  await finished
  return { taskId: task.id, runId: queued.id }
}

/** What a live server holds: its node id and the one-server locks (issue 6 item 2), all owner-only. */
const SERVER_FILES = { 'node-id': '0600', 'taskyard.lock': '0600', 'taskyard.lock-journal': '0600', 'taskyard.lock.holder.json': '0600' }
const SQLITE_LOCK_FILES = { 'taskyard.db.lock': '0600', 'taskyard.db.lock-journal': '0600', 'taskyard.db.lock.holder.json': '0600' }

for (const dialect of testDialects()) {
  describe(`${dialect.name}: data directory permissions (issue 6)`, { skip: dialect.skip }, () => {
    it('a new data directory: not listable, private files 0600, task folders the server’s between runs', async (t) => {
      const app = await createTestApp(t, { dialect, env: { TASKYARD_ADMIN_PASSWORD: '' } })
      const created = await app.createTask({ conda_env: 'base', task_name: 'writes', command: 'echo mine > own.txt; echo out > "$TASKYARD_OUTPUT_DIR/o.txt"' })
      const taskId = created.body.task.task_id
      const runId = (await app.store.runs.listForTask(taskId, 1))[0]!.id
      await app.runFinished(runId)
      const files = dialect.name === 'sqlite' ? { 'taskyard.db': '0600', 'taskyard.db-wal': '0600', 'taskyard.db-shm': '0600', ...SQLITE_LOCK_FILES } : {}
      assert.deepEqual(await layout(app.dataDir, taskId, runId), {
        ...EXPECTED_DIRS,
        [`tasks/${taskId}`]: '0700',
        [`outputs/${taskId}`]: '0700',
        [`outputs/${taskId}/${runId}`]: '0700',
        'secret.key': '0600',
        'admin-password.txt': '0600',
        ...SERVER_FILES,
        ...files,
      })
      if (isRoot) {
        const account = (await lookupAccount('taskyard-run'))!
        assert.equal(await owner(app.paths.taskDir(taskId)), 0, 'the server holds the task folder between runs')
        assert.equal(await owner(app.paths.taskOutputsDir(taskId)), 0)
        assert.equal(await owner(path.join(app.paths.taskDir(taskId), 'job.py')), account.uid, 'its files are the run account’s')
        assert.equal(await owner(app.paths.runOutputDir(taskId, runId)), account.uid)
      }
    })
  })
}

describe('data directory permissions of an existing install (issue 6)', () => {
  it('loose modes and a task folder a crash left with the run account are fixed at start', async (t) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'taskyard-perm-'))
    t.after(() => rm(dataDir, { recursive: true, force: true }))
    const first = await start(t, dataDir)
    const { taskId, runId } = await runTask(first, 'old', 'true')
    await first.close()
    // As an install from before issue 6 left it (umask 022), or worse.
    for (const d of ['.', 'tasks', `tasks/${taskId}`, 'outputs', `outputs/${taskId}`, 'logs', 'staging', 'uploads', 'envs'])
      await chmod(path.join(dataDir, d), 0o777)
    for (const f of ['taskyard.db', 'secret.key', 'admin-password.txt']) await chmod(path.join(dataDir, f), 0o644)
    if (isRoot) await chown(path.join(dataDir, 'tasks', String(taskId)), 999, 999)

    await start(t, dataDir)
    assert.deepEqual(await layout(dataDir, taskId, runId), {
      ...EXPECTED_DIRS,
      [`tasks/${taskId}`]: '0700',
      [`outputs/${taskId}`]: '0700',
      [`outputs/${taskId}/${runId}`]: '0700',
      'secret.key': '0600',
      'admin-password.txt': '0600',
      'taskyard.db': '0600',
      'taskyard.db-wal': '0600',
      'taskyard.db-shm': '0600',
      ...SERVER_FILES,
      ...SQLITE_LOCK_FILES,
    })
    if (isRoot) assert.equal(await owner(path.join(dataDir, 'tasks', String(taskId))), 0)
  })

  it('the run account itself can open nothing of the data directory but the environments', { skip: !isRoot && 'needs root' }, async (t) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'taskyard-perm-'))
    t.after(() => rm(dataDir, { recursive: true, force: true }))
    const server = await start(t, dataDir)
    const { taskId, runId } = await runTask(server, 'finished', 'echo private')
    const account = (await lookupAccount('taskyard-run'))!
    const probe = `
import os, sys
d = sys.argv[1]
for name, fn in [
    ('secret.key', lambda: open(os.path.join(d, 'secret.key')).read()),
    ('database', lambda: open(os.path.join(d, 'taskyard.db'), 'rb').read()),
    ('database wal', lambda: open(os.path.join(d, 'taskyard.db-wal'), 'rb').read()),
    ('admin password', lambda: open(os.path.join(d, 'admin-password.txt')).read()),
    ('data dir listing', lambda: os.listdir(d)),
    ('task listing', lambda: os.listdir(os.path.join(d, 'tasks', sys.argv[2]))),
    ('task file', lambda: open(os.path.join(d, 'tasks', sys.argv[2], 'x')).read()),
    ('task outputs', lambda: os.listdir(os.path.join(d, 'outputs', sys.argv[2]))),
    ('logs listing', lambda: os.listdir(os.path.join(d, 'logs'))),
    ('run log', lambda: open(os.path.join(d, 'logs', sys.argv[3] + '.log')).read()),
]:
    try:
        fn()
        print(name, 'READ')
    except PermissionError:
        print(name, 'denied')
`
    const python = path.join(server.paths.envsDir, 'base', 'bin', 'python')
    const { stdout } = await run(
      'setpriv',
      [`--reuid=${account.uid}`, `--regid=${account.gid}`, '--clear-groups', python, '-c', probe, dataDir, String(taskId), String(runId)],
      { cwd: '/' },
    )
    assert.equal(
      stdout,
      [
        'secret.key denied',
        'database denied',
        'database wal denied',
        'admin password denied',
        'data dir listing denied',
        'task listing denied',
        'task file denied',
        'task outputs denied',
        'logs listing denied',
        'run log denied',
        '',
      ].join('\n'),
    )
  })
})
