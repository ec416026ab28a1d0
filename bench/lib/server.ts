/**
 * Starts a real Taskyard in this process (real HTTP, real processes, real database) with its
 * own data directory under the bench's temp root, and a fresh database: a SQLite file in the data
 * directory by default, or, with a postgres:// URL, a new database created on that server and
 * dropped again at close (the URL's user must be allowed to CREATE DATABASE).
 */
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { loadConfig } from '../../server/src/config/config.ts'
import { startTaskyard, type RunningTaskyard } from '../../server/src/main.ts'
import { withPgClient } from '../../server/test/helpers/test-dialects.ts'

const BENCH_PASSWORD = 'bench-admin-password'
import { HttpClient } from './http.ts'

export interface BenchServer {
  server: RunningTaskyard
  client: HttpClient
  dataDir: string
  /** The scenario's own PostgreSQL database; undefined on SQLite. */
  databaseUrl: string | undefined
  /** Stops the server and starts it again on the same data directory and database, logged in again. */
  restart(): Promise<void>
  /** Stops the server (and every run it supervises), drops its database, removes its data directory. */
  close(): Promise<void>
}

export interface ServerOptions {
  /** The bench's temp root; the data directory is made inside it. */
  root: string
  name: string
  /** undefined = SQLite in the data directory; postgres://… = a fresh database on that server. */
  databaseUrl: string | undefined
  env?: Record<string, string>
}

export async function startBenchServer(options: ServerOptions): Promise<BenchServer> {
  const dataDir = path.join(options.root, options.name)
  await mkdir(dataDir, { recursive: true })
  let dropDatabase: (() => Promise<void>) | null = null
  let databaseUrl: string | undefined
  if (options.databaseUrl) {
    const name = `taskyard_bench_${randomBytes(5).toString('hex')}`
    await withPgClient(options.databaseUrl, (c) => c.query(`CREATE DATABASE "${name}"`))
    const url = new URL(options.databaseUrl)
    url.pathname = `/${name}`
    databaseUrl = url.toString()
    dropDatabase = () => withPgClient(options.databaseUrl!, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined)
  }
  let config: ReturnType<typeof loadConfig>
  let server: RunningTaskyard
  try {
    config = loadConfig(
      { host: '127.0.0.1', port: '0', dataDir, ...(databaseUrl ? { databaseUrl } : {}) },
      // The server's own settings are its defaults; only the log level is quietened.
      { ...process.env, TASKYARD_LOG_LEVEL: 'warn', TASKYARD_ADMIN_PASSWORD: BENCH_PASSWORD, ...options.env },
    )
    server = await startTaskyard(config, { logger: false, log: () => undefined })
  } catch (error) {
    await dropDatabase?.().catch(() => undefined)
    await rm(dataDir, { recursive: true, force: true })
    throw error
  }
  let client = await loggedIn(server)
  let closing: Promise<void> | null = null
  return {
    get server() {
      return server
    },
    get client() {
      return client
    },
    dataDir,
    databaseUrl,
    async restart() {
      client.close()
      await server.close()
      server = await startTaskyard(config, { logger: false, log: () => undefined })
      client = await loggedIn(server)
    },
    close() {
      closing ??= (async () => {
        client.close()
        try {
          await server.close()
        } finally {
          await dropDatabase?.().catch((e) => console.error('[bench] could not drop the bench database:', e))
          await rm(dataDir, { recursive: true, force: true })
        }
      })()
      return closing
    },
  }
}

async function loggedIn(server: RunningTaskyard): Promise<HttpClient> {
  const client = new HttpClient(server.url)
  const login = await client.request('POST', '/api/auth/login', Buffer.from(JSON.stringify({ username: 'admin', password: BENCH_PASSWORD })), {
    'content-type': 'application/json',
  })
  if (login.status !== 200) throw new Error(`bench login failed: ${login.text}`)
  client.setBearer(JSON.parse(login.text).token)
  return client
}

export { withPgClient }

/** Resolves once `count` runs matching `taskIds` (all, when null) have finished; rejects after `timeoutMs`. */
export function awaitRunsFinished(
  server: RunningTaskyard,
  count: number,
  timeoutMs: number,
  accept: (e: { runId: number; taskId: number; status: string }) => boolean = () => true,
): { done: Promise<{ at: number; statuses: Map<string, number> }>; cancel(): void } {
  let seen = 0
  const statuses = new Map<string, number>()
  let off: () => void = () => {}
  let timer: NodeJS.Timeout | undefined
  const done = new Promise<{ at: number; statuses: Map<string, number> }>((resolve, reject) => {
    off = server.bus.on('run:finished', (e) => {
      if (!accept(e)) return
      seen += 1
      statuses.set(e.status, (statuses.get(e.status) ?? 0) + 1)
      if (seen === count) {
        const at = performance.now()
        off()
        clearTimeout(timer)
        resolve({ at, statuses })
      }
    })
    timer = setTimeout(() => {
      off()
      reject(new Error(`only ${seen} of ${count} runs finished within ${timeoutMs} ms`))
    }, timeoutMs)
  })
  return {
    done,
    cancel() {
      off()
      clearTimeout(timer)
    },
  }
}
