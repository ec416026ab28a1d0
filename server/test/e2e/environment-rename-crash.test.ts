/**
 * Issue 9: kill -9 of a real `taskyard serve` in the middle of an environment rename, held at an
 * injected pause point (a `pause-at-<point>` file in the environments' private state directory):
 * after the directory moved and before the tasks' transaction, and after that transaction
 * committed. After a restart the environment and its task agree on one name — the old one when
 * the tasks had not moved, the new one when they had — and the task's next run works. Both dialects.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { testDialects } from '../helpers/test-dialects.ts'
import { REACHABLE_PYTHON } from '../helpers/reachable-python.ts'
import { offlinePipEnv, wheelhouse } from '../helpers/wheels.ts'

const CLI = path.resolve(import.meta.dirname, '../../bin/taskyard.js')
const PASSWORD = 'e2e-admin-password'

interface Server {
  child: ChildProcess
  out: () => string
  api(p: string, init?: RequestInit): Promise<{ status: number; body: any }>
}

async function startServer(dataDir: string, env: Record<string, string>, databaseUrl: string | null): Promise<Server> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dataDir, ...(databaseUrl ? ['--database-url', databaseUrl] : [])], {
    env: { ...env, TASKYARD_LOG_LEVEL: 'warn', TASKYARD_ADMIN_PASSWORD: PASSWORD },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  let url = ''
  child.stdout!.setEncoding('utf8')
  for await (const chunk of child.stdout!) {
    out += String(chunk)
    const m = /Taskyard is running at (http:\/\/\S+)/.exec(out)
    if (m) {
      url = m[1]!
      break
    }
  }
  if (url === '') throw new Error(`taskyard exited before printing its URL: ${out}`)
  child.stdout!.on('data', (chunk: string) => (out += chunk))
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  })
  const bearer = ((await login.json()) as { token: string }).token
  return {
    child,
    out: () => out,
    async api(p, init = {}) {
      const headers = { ...(init.headers as Record<string, string>), authorization: `Bearer ${bearer}` }
      const res = await fetch(url + p, { ...init, headers })
      const text = await res.text()
      return { status: res.status, body: text === '' ? null : JSON.parse(text) }
    },
  }
}

const json = (method: string, body: unknown): RequestInit => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

/** Triggers the task and answers its run's status and log once it ended (polled, bounded). */
async function runOnce(server: Server, taskId: number): Promise<{ status: string; logs: string }> {
  const triggered = await server.api(`/api/tasks/${taskId}/trigger`, { method: 'POST' })
  assert.equal(triggered.status, 200, JSON.stringify(triggered.body))
  for (let i = 0; i < 2000; i++) {
    const latest = (await server.api(`/api/tasks/${taskId}`)).body.latest_execution
    if (latest && !['queued', 'running', 'paused'].includes(latest.status)) return { status: latest.status, logs: latest.logs }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('the run never ended')
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-rename-crash-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

const CASES = [
  { point: 'rename-moved', expected: 'old', what: 'after the directory moved, before the tasks did' },
  { point: 'rename-committed', expected: 'new', what: 'after the tasks moved, before the rename was ended' },
] as const

for (const dialect of testDialects()) {
  describe(`kill -9 during an environment rename (${dialect.name}; real server, venvs and pip)`, { skip: dialect.skip }, () => {
    for (const { point, expected, what } of CASES) {
      it(`killed ${what}: after a restart the environment and its task are both '${expected}', and the task runs`, async (t) => {
        const wheels = await wheelhouse(t, [{ name: 'tyb-alpha' }])
        let databaseUrl: string | null = null
        if (dialect.name === 'postgres') {
          const opened = await dialect.open()
          await opened.store.close()
          databaseUrl = opened.databaseUrl
          t.after(() => opened.cleanup())
        }
        const dataDir = await tempDir(t)
        const env = { ...offlinePipEnv(wheels), ...REACHABLE_PYTHON }
        const first = await startServer(dataDir, env, databaseUrl)
        t.after(() => first.child.kill('SIGKILL'))
        assert.equal((await first.api('/api/conda/environment', json('POST', { name: 'old', requirements: 'tyb-alpha\n' }))).status, 201)
        const form = new FormData()
        form.set('script_file', new Blob(['import sys, tyb_alpha\nprint("alpha", tyb_alpha.VERSION, sys.prefix.rsplit("/", 1)[1])\n']), 'job.py')
        form.set('task_name', 'uses-old')
        form.set('conda_env', 'old')
        form.set('reuse_env', 'true')
        form.set('delay_seconds', '315360000')
        const created = await first.api('/api/tasks', { method: 'POST', body: form })
        assert.equal(created.status, 201, JSON.stringify(created.body))
        const taskId: number = created.body.task.task_id

        const stateDir = path.join(dataDir, 'envs', '.taskyard')
        await writeFile(path.join(stateDir, `pause-at-${point}`), '')
        void first.api('/api/conda/environment/old', json('PUT', { new_name: 'new' })).catch(() => undefined)
        const paused = path.join(stateDir, `paused-at-${point}`)
        for (let i = 0; !existsSync(paused); i++) {
          assert.ok(i < 3000, `the server never reached ${point}`)
          await new Promise((r) => setTimeout(r, 20))
        }
        // The window itself: the directory has the new name already.
        assert.ok(existsSync(path.join(dataDir, 'envs', 'new', 'pyvenv.cfg')))
        assert.ok(!existsSync(path.join(dataDir, 'envs', 'old')))
        first.child.kill('SIGKILL')
        await once(first.child, 'exit')
        await rm(path.join(stateDir, `pause-at-${point}`))
        await rm(paused)

        const second = await startServer(dataDir, env, databaseUrl)
        t.after(async () => {
          second.child.kill('SIGTERM')
          await once(second.child, 'exit')
        })
        const names = (await second.api('/api/conda/environments')).body.map((e: any) => e.name)
        assert.deepEqual(names, ['base', expected])
        assert.equal((await second.api(`/api/tasks/${taskId}`)).body.task.conda_env, expected)
        assert.deepEqual(await runOnce(second, taskId), { status: 'completed', logs: `alpha 1.0 ${expected}\n` })
        // The journal forgot the rename: a second restart has nothing to settle.
        assert.match(second.out(), /a rename to 'new' was interrupted/)
      })
    }
  })
}
