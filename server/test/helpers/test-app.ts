import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { loadConfig } from '../../src/config/config.ts'
import { startTaskyard, type RunningTaskyard } from '../../src/main.ts'
import type { TestDialect } from './test-dialects.ts'

export interface TestApp extends RunningTaskyard {
  dataDir: string
  /** fetch against the running server; `p` starts with '/'. */
  fetch(p: string, init?: RequestInit): Promise<Response>
  json(p: string, init?: RequestInit): Promise<{ status: number; body: any }>
  /** POST /api/tasks with the given fields; a string `script` is sent as a file named `filename`. */
  createTask(fields: Record<string, string | Blob | undefined>, file?: { name: string; content: string | Uint8Array } | null): Promise<{ status: number; body: any }>
  /** Resolves when the run ends (already ended: at once). */
  runFinished(runId: number): Promise<void>
  /** The task's latest run once its process has started (already started or even ended: at once). */
  runningRun(taskId: number): Promise<{ runId: number; pid: number }>
}

/** Starts a real Taskyard (real HTTP, real processes) on a random port with its own data directory and database. */
export async function createTestApp(
  t: TestContext,
  options: { dialect?: TestDialect; env?: Record<string, string> } = {},
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
    { ...process.env, TASKYARD_KILL_GRACE_MS: '2000', TASKYARD_SAMPLE_INTERVAL_MS: '100', ...options.env },
  )
  const server = await startTaskyard(config, { logger: false })
  t.after(async () => {
    await server.close()
    if (dbCleanup) await dbCleanup()
    await rm(dataDir, { recursive: true, force: true })
  })
  const doFetch = (p: string, init?: RequestInit): Promise<Response> => fetch(server.url + p, init)
  const json = async (p: string, init?: RequestInit) => {
    const res = await doFetch(p, init)
    const text = await res.text()
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
    return { status: res.status, body }
  }
  return {
    ...server,
    dataDir,
    fetch: doFetch,
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
      if (run && ['completed', 'failed', 'cancelled', 'abnormal'].includes(run.status)) return
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
