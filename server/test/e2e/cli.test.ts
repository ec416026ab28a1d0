import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import path from 'node:path'
import { once } from 'node:events'
import { describe, it, type TestContext } from 'node:test'
import { CLI, startCliServer, type CliServer } from '../helpers/cli-server.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const PASSWORD = 'e2e-admin-password'
let bearer = ''

/** fetch as the bootstrap admin (the JWT outlives the restart: the secret is in the data directory). */
function api(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${bearer}` } })
}

async function loginAdmin(url: string): Promise<void> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  })
  assert.equal(res.status, 200)
  bearer = ((await res.json()) as { token: string }).token
}

/** Starts `taskyard serve` as a real child process and waits for the line that prints its URL. */
function startCli(dataDir: string, extraArgs: string[] = []): Promise<CliServer> {
  return startCliServer({
    dataDir,
    args: extraArgs,
    env: {
      ...process.env,
      TASKYARD_LOG_LEVEL: 'warn',
      TASKYARD_SHUTDOWN_GRACE_SECONDS: '0',
      TASKYARD_SAMPLE_INTERVAL_MS: '100',
      TASKYARD_ADMIN_PASSWORD: PASSWORD,
    },
  })
}

/** Runs `taskyard serve` expecting it to refuse to start: its exit code and what it printed. */
async function failedStart(dataDir: string, extraArgs: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, ...extraArgs], {
    env: { ...process.env, TASKYARD_LOG_LEVEL: 'warn', TASKYARD_SHUTDOWN_GRACE_SECONDS: '0', TASKYARD_ADMIN_PASSWORD: PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  let stdout = ''
  child.stderr!.on('data', (c) => (stderr += String(c)))
  child.stdout!.on('data', (c) => {
    stdout += String(c)
    // It started after all: stop it, so the test fails on its exit code instead of waiting for ever.
    if (/Taskyard is running/.test(stdout)) child.kill('SIGTERM')
  })
  const [code] = await once(child, 'exit')
  return { code, stderr, stdout }
}

async function createTask(url: string, fields: Record<string, string>): Promise<any> {
  const form = new FormData()
  form.set('script_file', new Blob(['print(1)\n']), 'job.py')
  for (const [k, v] of Object.entries(fields)) form.set(k, v)
  const res = await api(`${url}/api/tasks`, { method: 'POST', body: form })
  assert.equal(res.status, 201)
  return res.json()
}

/** Polls the API (a real client has nothing else) until `check` holds; bounded. */
async function until<T>(fn: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await fn()
    if (check(v)) return v
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error('condition never held')
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat[stat.lastIndexOf(')') + 2] !== 'Z'
  } catch {
    return false
  }
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-e2e-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: taskyard serve as a process`, { skip: dialect.skip }, () => {
    it('after kill -9 and a restart, the lost run is closed as abnormal with its log, its process is gone, and schedules go on', async (t) => {
      const dataDir = await tempDir(t)
      const db = dialect.name === 'postgres' ? await dialect.open() : null
      if (db) {
        await db.store.close()
        t.after(() => db.cleanup())
      }
      const dbArgs = db ? ['--database-url', db.databaseUrl] : []
      const first = await startCli(dataDir, dbArgs)
      await loginAdmin(first.url)
      const created = await createTask(first.url, { conda_env: 'base', task_name: 'long', command: 'echo before-crash; echo $$ > pid; sleep 1000' })
      const cron = await createTask(first.url, { conda_env: 'base', task_name: 'every-second', cron_expression: '* * * * * *', command: 'true' })
      const taskId = created.task.task_id
      const detail: any = await until(
        () => api(`${first.url}/api/tasks/${taskId}`).then((r) => r.json()),
        (d: any) => d.latest_execution?.logs === 'before-crash\n',
      )
      const runId = detail.latest_execution.execution_id
      const pid = Number(
        await until(
          async () => {
            try {
              return readFileSync(path.join(dataDir, 'tasks', String(taskId), 'pid'), 'utf8')
            } catch {
              return ''
            }
          },
          (s) => s.endsWith('\n'),
        ),
      )
      first.child.kill('SIGKILL')
      await once(first.child, 'exit')
      assert.ok(alive(pid), 'the run outlives the killed server')

      const second = await startCli(dataDir, dbArgs)
      t.after(() => {
        second.child.kill('SIGTERM')
      })
      const after: any = await (await api(`${second.url}/api/tasks/${taskId}`)).json()
      assert.equal(after.task.status, 'failed')
      assert.equal(after.latest_execution.execution_id, runId)
      assert.equal(after.latest_execution.status, 'abnormal')
      assert.equal(after.latest_execution.logs, 'before-crash\n')
      assert.equal(alive(pid), false, 'the orphaned process was ended')
      const cronUrl = `${second.url}/api/tasks/${cron.task.task_id}`
      const seen = new Set(((await (await api(cronUrl)).json()) as any).task.executions)
      await until(
        () => api(cronUrl).then((r) => r.json()),
        (d: any) => d.execution_history.some((e: any) => !seen.has(e.execution_id) && e.status === 'completed'),
      )
      second.child.kill('SIGTERM')
      const [code] = await once(second.child, 'exit')
      assert.equal(code, 0, 'SIGTERM shuts down cleanly')
    })
  })
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: one server per data directory and per database`, { skip: dialect.skip }, () => {
    it('a second serve exits naming the holder and changes nothing; after kill -9 of the first a new start takes the lock', async (t) => {
      const dataDir = await tempDir(t)
      const db = dialect.name === 'postgres' ? await dialect.open() : null
      if (db) {
        await db.store.close()
        t.after(() => db.cleanup())
      }
      const dbArgs = db ? ['--database-url', db.databaseUrl] : []
      const testStart = Date.now()
      const first = await startCli(dataDir, dbArgs)
      t.after(() => {
        first.child.kill('SIGKILL')
      })
      await loginAdmin(first.url)
      const created = await createTask(first.url, { conda_env: 'base', task_name: 'long', command: 'echo $$ > pid; sleep 1000' })
      const taskId = created.task.task_id
      const pidFile = path.join(dataDir, 'tasks', String(taskId), 'pid')
      const readPid = async (): Promise<string> => {
        try {
          return readFileSync(pidFile, 'utf8')
        } catch {
          return ''
        }
      }
      const pid = Number(await until(readPid, (s) => s.endsWith('\n')))
      const before: any = await (await api(`${first.url}/api/tasks/${taskId}`)).json()
      assert.equal(before.latest_execution.status, 'running')
      const note = path.join(dataDir, 'taskyard.lock.holder.json')
      const noteBefore = readFileSync(note, 'utf8')
      assert.equal(JSON.parse(noteBefore).pid, first.child.pid)

      // On PostgreSQL the second server has a data directory of its own: only the database is shared.
      const secondDir = db ? path.join(await tempDir(t), 'data') : dataDir
      const second = await failedStart(secondDir, ['--port', '0', ...dbArgs])
      assert.equal(second.code, 1)
      const what = db ? `The PostgreSQL database ${new URL(db.databaseUrl).pathname.slice(1)}` : `The data directory ${dataDir}`
      const since = /since (\S+)\)/.exec(second.stderr)?.[1] ?? ''
      assert.equal(
        second.stderr.split('\n').find((l) => l.startsWith('taskyard: ')),
        `taskyard: ${what} is in use by another Taskyard server (pid ${first.child.pid} on host ${hostname()}, since ${since}). Stop that server first: one server per data directory and per database.`,
      )
      assert.ok(Date.parse(since) >= testStart - 1000 && Date.parse(since) <= Date.now(), `since ${since} is when the first server started`)
      assert.doesNotMatch(second.stdout, /Taskyard is running/)

      // A second server on the first one's port fails before it creates anything.
      const portDir = path.join(await tempDir(t), 'never-created')
      const onPort = await failedStart(portDir, ['--port', new URL(first.url).port, ...dbArgs])
      assert.equal(onPort.code, 1)
      assert.match(onPort.stderr, /taskyard: Cannot listen on 127\.0\.0\.1:\d+: the address is in use/)
      assert.throws(() => readFileSync(portDir), { code: 'ENOENT' }, 'its data directory was never created')
      // The usual mistake: the same command again, so the same port and data directory.
      const again = await failedStart(dataDir, ['--port', new URL(first.url).port, ...dbArgs])
      assert.equal(again.code, 1)
      assert.equal(
        again.stderr.split('\n').find((l) => l.startsWith('taskyard: ')),
        `taskyard: Cannot listen on 127.0.0.1:${new URL(first.url).port}: the address is in use (another Taskyard server?). The data directory ${dataDir} is in use by another Taskyard server (pid ${first.child.pid} on host ${hostname()}, since ${JSON.parse(noteBefore).since}). Stop that server first: one server per data directory and per database.`,
      )

      // Nothing changed: the run still runs, under the same process, and the first server still controls it.
      assert.ok(alive(pid), 'the run process is alive')
      const after: any = await (await api(`${first.url}/api/tasks/${taskId}`)).json()
      assert.deepEqual(after, before)
      assert.equal(readFileSync(note, 'utf8'), noteBefore, "the holder note is the first server's")

      first.child.kill('SIGKILL')
      await once(first.child, 'exit')
      const third = await startCli(dataDir, dbArgs)
      t.after(() => {
        third.child.kill('SIGTERM')
      })
      assert.equal(JSON.parse(readFileSync(note, 'utf8')).pid, third.child.pid, 'the lock of a killed server is taken over')
      const recovered: any = await (await api(`${third.url}/api/tasks/${taskId}`)).json()
      assert.equal(recovered.latest_execution.status, 'abnormal', 'its own run, closed by the same node after the restart')
      assert.equal(alive(pid), false)
      third.child.kill('SIGTERM')
      const [code] = await once(third.child, 'exit')
      assert.equal(code, 0)
    })
  })
}

describe('taskyard serve: first start', () => {
  it('without TASKYARD_ADMIN_PASSWORD generates a password, prints it once, and keeps it in a file only the server user reads', async (t) => {
    const dataDir = await tempDir(t)
    const { TASKYARD_ADMIN_PASSWORD: _unset, ...env } = process.env
    const server = await startCliServer({ dataDir, env: { ...env, TASKYARD_LOG_LEVEL: 'warn' } })
    t.after(() => server.stop())
    const { out, url } = server
    const file = path.join(dataDir, 'admin-password.txt')
    const password = readFileSync(file, 'utf8').trim()
    assert.ok(password.length >= 16)
    assert.ok(out.includes(password), 'the password is printed')
    const { statSync } = await import('node:fs')
    assert.equal(statSync(file).mode & 0o777, 0o600)
    assert.equal(statSync(path.join(dataDir, 'secret.key')).mode & 0o777, 0o600)
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    })
    assert.equal(login.status, 200)
    assert.equal((await fetch(`${url}/api/tasks`)).status, 401, 'no default access')
  })

  it('refuses to start with a configured secret shorter than 32 bytes, saying how to make one', async (t) => {
    const dataDir = await tempDir(t)
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dataDir], {
      env: { ...process.env, TASKYARD_SECRET: 'too-short', TASKYARD_ADMIN_PASSWORD: PASSWORD },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let err = ''
    child.stderr!.on('data', (c) => (err += String(c)))
    const [code] = await once(child, 'exit')
    assert.equal(code, 1)
    assert.match(err, /TASKYARD_SECRET\) is 9 bytes; it must be at least 32/)
  })
})
