import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { loadConfig } from '../../src/config/config.ts'
import { startTaskyard, type RunningTaskyard, type StartOptions } from '../../src/main.ts'
import type { TestDialect } from './test-dialects.ts'

/** How a test request authenticates: a bearer credential, a session cookie (with its Origin), or none. */
export type Credential = { bearer: string } | { cookie: string } | null

export const ADMIN_PASSWORD = 'test-admin-password'

export interface TestApp extends RunningTaskyard {
  dataDir: string
  /** The server's database, for tests that reach it from another connection or process. */
  databaseUrl: string
  /** The bootstrap admin's bearer JWT, used by fetch/json unless a request sets its own. */
  adminToken: string
  /** fetch against the running server as the admin; `p` starts with '/'. */
  fetch(p: string, init?: RequestInit): Promise<Response>
  /** fetch with the given credential (null: anonymous). */
  fetchAs(credential: Credential, p: string, init?: RequestInit): Promise<Response>
  jsonAs(credential: Credential, p: string, init?: RequestInit): Promise<{ status: number; body: any }>
  /** Creates a user through the API (as admin) and logs it in: its JWT, session cookie and id. */
  addUser(username: string, role: 'admin' | 'operator' | 'viewer'): Promise<{ id: number; bearer: string; cookie: string }>
  json(p: string, init?: RequestInit): Promise<{ status: number; body: any }>
  /** POST /api/tasks with the given fields; a string `script` is sent as a file named `filename`. */
  createTask(
    fields: Record<string, string | Blob | undefined>,
    file?: { name: string; content: string | Uint8Array } | null,
  ): Promise<{ status: number; body: any }>
  /** Resolves when the run ends (already ended: at once). */
  runFinished(runId: number): Promise<void>
  /** The task's latest run once its process has started (already started or even ended: at once). */
  runningRun(taskId: number): Promise<{ runId: number; pid: number }>
}

/** Starts a real Taskyard (real HTTP, real processes) on a random port with its own data directory and database. */
export async function createTestApp(
  t: TestContext,
  options: {
    dialect?: TestDialect
    env?: Record<string, string>
    instrument?: StartOptions['instrument']
    start?: Pick<StartOptions, 'clock' | 'runTimers'>
  } = {},
): Promise<TestApp> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'taskyard-test-'))
  let dbCleanup: (() => Promise<void>) | null = null
  let databaseUrl: string | undefined
  if (options.dialect && options.dialect.name === 'postgres') {
    const opened = await options.dialect.open()
    await opened.store.close()
    databaseUrl = opened.databaseUrl
    dbCleanup = opened.cleanup
  }
  const config = loadConfig(
    { host: '127.0.0.1', port: '0', dataDir, ...(databaseUrl ? { databaseUrl } : {}) },
    {
      ...process.env,
      TASKYARD_KILL_GRACE_MS: '2000',
      TASKYARD_SAMPLE_INTERVAL_MS: '100',
      TASKYARD_SHUTDOWN_GRACE_SECONDS: '0',
      TASKYARD_ADMIN_PASSWORD: ADMIN_PASSWORD,
      // The default is the CPU count: tests of other things must not queue on a 2-core machine. The queue's tests set their own.
      TASKYARD_MAX_WORKERS: '64',
      ...options.env,
    },
  )
  const server = await startTaskyard(config, {
    logger: false,
    log: () => undefined,
    ...(options.instrument ? { instrument: options.instrument } : {}),
    ...options.start,
  })
  t.after(async () => {
    await server.close()
    if (dbCleanup) await dbCleanup()
    await rm(dataDir, { recursive: true, force: true })
  })
  const fetchAs = (credential: Credential, p: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers)
    if (credential && 'bearer' in credential && !headers.has('authorization')) headers.set('authorization', `Bearer ${credential.bearer}`)
    if (credential && 'cookie' in credential) {
      headers.set('cookie', `session=${credential.cookie}`)
      if (!headers.has('origin')) headers.set('origin', server.url)
    }
    return fetch(server.url + p, { ...init, headers })
  }
  const jsonAs = async (credential: Credential, p: string, init?: RequestInit) => {
    const res = await fetchAs(credential, p, init)
    const text = await res.text()
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
    return { status: res.status, body: body as any }
  }
  const loginAs = async (username: string, password: string): Promise<{ bearer: string; cookie: string; id: number }> => {
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    })
    const body = (await res.json()) as any
    if (res.status !== 200) throw new Error(`login as ${username} failed: ${JSON.stringify(body)}`)
    const cookie = /session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1]
    if (!cookie) throw new Error('login set no session cookie')
    return { bearer: body.token, cookie, id: body.user.user_id }
  }
  // TASKYARD_ADMIN_PASSWORD '' asks for a generated password, which the first start writes down.
  const adminPassword = options.env?.TASKYARD_ADMIN_PASSWORD === '' ? (await readFile(path.join(dataDir, 'admin-password.txt'), 'utf8')).trim() : ADMIN_PASSWORD
  const admin = await loginAs('admin', adminPassword)
  const doFetch = (p: string, init?: RequestInit): Promise<Response> => fetchAs({ bearer: admin.bearer }, p, init)
  const json = (p: string, init?: RequestInit) => jsonAs({ bearer: admin.bearer }, p, init)
  return {
    ...server,
    dataDir,
    databaseUrl: config.databaseUrl,
    adminToken: admin.bearer,
    fetch: doFetch,
    fetchAs,
    jsonAs,
    async addUser(username, role) {
      const password = `${username}-password-1`
      const res = await json('/api/users', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password, role }),
      })
      if (res.status !== 201) throw new Error(`could not create ${username}: ${JSON.stringify(res.body)}`)
      return loginAs(username, password)
    },
    json,
    async createTask(fields, file = { name: 'job.py', content: 'print("hello")\n' }) {
      const form = new FormData()
      if (file) form.set('script_file', new Blob([file.content]), file.name)
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined) continue
        if (typeof v === 'string') form.set(k, v)
        else form.set(k, v, 'requirements.txt')
      }
      return json('/api/tasks', { method: 'POST', body: form })
    },
    async runFinished(runId) {
      const waiting = server.bus.waitFor('run:finished', (e) => e.runId === runId)
      const run = await server.store.runs.findById(runId)
      if (run && ['completed', 'failed', 'cancelled', 'abnormal', 'timeout'].includes(run.status)) return
      await waiting
    },
    async runningRun(taskId) {
      const waiting = server.bus.waitFor('run:started', (p) => p.taskId === taskId)
      const latest = (await server.store.runs.listForTask(taskId, 1))[0]
      if (latest?.pid != null) return { runId: latest.id, pid: latest.pid }
      const e = await waiting
      return { runId: e.runId, pid: e.pid }
    },
  }
}
