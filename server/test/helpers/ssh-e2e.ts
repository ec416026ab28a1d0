/**
 * What the end-to-end SSH tests share (issue 12): a real `taskyard serve` running as `nobody`
 * (so only the SSH path can end the remote processes, which the server's login, root, owns),
 * logged in as the admin, and `pgrep` on this host, where the test OpenSSH server runs.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { chown, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { startCliServer, type CliServer } from './cli-server.ts'
import { REACHABLE_PYTHON } from './reachable-python.ts'
import type { TestSshServer } from './ssh-server.ts'
import type { TestDialect } from './test-dialects.ts'

export const NOBODY = 65534
const PASSWORD = 'e2e-admin-password'

/** Processes on this host whose command line matches `pattern` (pgrep -f). */
export function pgrep(pattern: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number)
  } catch {
    return [] // pgrep exits 1 when nothing matches
  }
}

/** `ps` lines of these pids, for a failure's message. */
export function describePids(pids: number[]): string {
  return pids.length === 0 ? '' : execFileSync('ps', ['-o', 'pid,ppid,pgid,user,stat,etime,args', '-p', pids.join(',')], { encoding: 'utf8' })
}

export async function until<T>(what: string, probe: () => Promise<T | null | false> | T | null | false, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== null && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export interface Api {
  server: CliServer
  call(p: string, init?: RequestInit): Promise<{ status: number; body: any }>
}

/** Starts Taskyard as nobody on `dataDir` (owned by nobody); `undo` gets its stop. */
export async function startTaskyardAsNobody(undo: (() => unknown)[], dataDir: string, databaseUrl: string | null): Promise<Api> {
  const server = await startCliServer({
    dataDir,
    env: { PATH: process.env.PATH, HOME: dataDir, TASKYARD_LOG_LEVEL: 'warn', TASKYARD_ADMIN_PASSWORD: PASSWORD, ...REACHABLE_PYTHON },
    args: databaseUrl ? ['--database-url', databaseUrl] : [],
    wrapper: ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'],
  })
  undo.push(() => server.stop())
  server.child.stdout!.resume()
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  })
  const { token } = (await login.json()) as { token: string }
  return {
    server,
    async call(p, init = {}) {
      // Fastify refuses a JSON content type with no body (a DELETE).
      const json = init.body === undefined ? {} : { 'content-type': 'application/json' }
      const headers = { ...json, ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` }
      const res = await fetch(server.url + p, { ...init, headers })
      const text = await res.text()
      return { status: res.status, body: text === '' ? null : JSON.parse(text) }
    },
  }
}

export interface RemoteRun {
  dataDir: string
  databaseUrl: string | null
  /** The pgrep pattern of the run's two remote processes. */
  pattern: string
  first: Api
  /** The server's id in Taskyard. */
  serverId: number
  taskId: number
  running: { execution_id: number }
}

/**
 * A data directory (owned by nobody), a database of the dialect, Taskyard as nobody, the server
 * registered and a long run on it under way: `echo before`, then a background `sleep` and a
 * foreground one, whose pattern is unique to this call (`name` names the data directory). Every
 * step is undone when the test ends, last first; `sshd` is listening again by then.
 */
export async function startRemoteRun(t: TestContext, dialect: TestDialect, sshd: TestSshServer, undo: (() => unknown)[], name: string): Promise<RemoteRun> {
  t.after(async () => {
    for (const step of undo.reverse()) await step()
  })
  // A test that failed while the server was away leaves it listening for the next.
  undo.push(() => sshd.comeBack())
  let databaseUrl: string | null = null
  if (dialect.name === 'postgres') {
    const opened = await dialect.open()
    await opened.store.close()
    databaseUrl = opened.databaseUrl
    undo.push(() => opened.cleanup())
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), `taskyard-ssh-${name}-`))
  undo.push(() => rm(dataDir, { recursive: true, force: true }))
  await chown(dataDir, NOBODY, NOBODY)
  // Seven digits no other test's sleep has: pgrep finds this run's processes alone.
  const tag = 4_000_000 + Math.floor(Math.random() * 1_900_000)
  const pattern = `^sleep ${tag}[01]$`
  undo.push(() => {
    for (const pid of pgrep(pattern)) process.kill(pid, 'SIGKILL')
  })
  const first = await startTaskyardAsNobody(undo, dataDir, databaseUrl)
  const server = await first.call('/api/servers', {
    method: 'POST',
    body: JSON.stringify({ name: 'loopback', host: sshd.host, port: sshd.port, username: sshd.username, private_key: sshd.key.privateKey }),
  })
  assert.equal(server.status, 201, JSON.stringify(server.body))
  const serverId = server.body.server.id as number
  // Output first, then a background process and a foreground one: both must go, the output stay.
  const created = await first.call('/api/tasks', {
    method: 'POST',
    body: JSON.stringify({ name: 'long', command: `echo before; sleep ${tag}0 & sleep ${tag}1`, server_id: serverId, cron_expr: '@once' }),
  })
  assert.equal(created.status, 200, JSON.stringify(created.body))
  const taskId = created.body.task.id as number
  const running = await until('the run to be running with its output', async () => {
    const latest = (await first.call(`/api/tasks/${taskId}`)).body.latest_execution
    if (latest?.status !== 'running' || pgrep(pattern).length !== 2) return null
    return (await first.call(`/api/task/${latest.execution_id}/log`)).body.output === 'before\n' ? latest : null
  })
  return { dataDir, databaseUrl, pattern, first, serverId, taskId, running }
}
