/**
 * Issue 6 item 8: a run's environment is the documented one, whatever the server's own holds.
 * The real CLI, started with what `npm start` adds (npm_* variables, node_modules/.bin on PATH)
 * and with secrets in its environment.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { sanitizePath } from '../../src/config/config.ts'
import { lookupAccount } from '../../src/lib/os-accounts.ts'
import { startCliServer } from '../helpers/cli-server.ts'

const PASSWORD = 'env-test-admin-password'

describe('the environment a run gets (issue 6 item 8)', () => {
  it('holds the allowlist and the run’s own variables, none of npm_*, node_modules/.bin or TASKYARD_*', async (t) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'taskyard-env-'))
    t.after(() => rm(dataDir, { recursive: true, force: true }))
    const serverPath = `${path.resolve('node_modules/.bin')}:/srv/app/node_modules/.bin:${process.env.PATH}`
    const server = await startCliServer({
      dataDir,
      env: {
        PATH: serverPath,
        HOME: process.env.HOME ?? '/root',
        LANG: 'C.UTF-8',
        LC_TIME: 'C',
        PIP_DISABLE_PIP_VERSION_CHECK: '1',
        npm_config_x: 'leak',
        npm_lifecycle_event: 'start',
        npm_package_json: '/srv/app/package.json',
        NODE_OPTIONS: '',
        INIT_CWD: '/srv/app',
        AWS_SECRET_ACCESS_KEY: 'leak',
        TASKYARD_SECRET: 'a-signing-secret-of-more-than-32-bytes-for-this-test',
        TASKYARD_ADMIN_PASSWORD: PASSWORD,
        TASKYARD_LOG_LEVEL: 'warn',
      },
    })
    t.after(() => server.stop())
    const { url } = server
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    })
    const { token } = (await login.json()) as { token: string }
    const form = new FormData()
    // env(1), not Python: what is asked is the environment, whatever interpreter the host has.
    form.set('script_file', new Blob(['env\n']), 'env.sh')
    form.set('command', 'env')
    form.set('conda_env', 'base')
    const created = await fetch(`${url}/api/tasks`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
    assert.equal(created.status, 201)
    const taskId = ((await created.json()) as any).task.task_id as number
    let detail: any
    for (let i = 0; i < 400; i++) {
      detail = await (await fetch(`${url}/api/tasks/${taskId}`, { headers: { authorization: `Bearer ${token}` } })).json()
      if (detail.latest_execution?.end_time) break
      await new Promise((r) => setTimeout(r, 25))
    }
    assert.equal(detail.latest_execution.status, 'completed', JSON.stringify(detail.latest_execution))
    const runId = detail.latest_execution.execution_id
    const lines = (await readFile(path.join(dataDir, 'logs', `${runId}.log`), 'utf8')).trimEnd().split('\n')
    const env = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
    // A shell's own bookkeeping, whichever shell or wrapper ran the command line; not the server's.
    for (const name of ['OLDPWD', 'SHLVL', '_']) delete env[name]
    // The executor's marker of this installation (finds a run's processes after a crash); not a secret.
    assert.match(env.TASKYARD_INSTANCE ?? '', /^i[0-9a-f]+$/)
    delete env.TASKYARD_INSTANCE

    const taskDir = path.join(dataDir, 'tasks', String(taskId))
    const account = process.getuid?.() === 0 ? await lookupAccount('taskyard-run') : null
    const expected: Record<string, string> = {
      PATH: `${path.join(dataDir, 'envs', 'base', 'bin')}:${sanitizePath(process.env.PATH)}`,
      HOME: account ? taskDir : (process.env.HOME ?? '/root'),
      LANG: 'C.UTF-8',
      LC_TIME: 'C',
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
      VIRTUAL_ENV: path.join(dataDir, 'envs', 'base'),
      PYTHONUNBUFFERED: '1',
      TASKYARD_TASK_ID: String(taskId),
      TASKYARD_RUN_ID: String(runId),
      TASKYARD_OUTPUT_DIR: path.join(dataDir, 'outputs', String(taskId), String(runId)),
      // /bin/sh, which runs the command line, exports the working directory itself.
      PWD: taskDir,
      ...(account ? { USER: account.name, LOGNAME: account.name } : {}),
    }
    assert.deepEqual(env, expected)
  })
})
