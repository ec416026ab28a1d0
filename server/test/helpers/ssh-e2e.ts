/**
 * What the end-to-end SSH tests share (issue 12): a real `taskyard serve` running as `nobody`
 * (so only the SSH path can end the remote processes, which the server's login, root, owns),
 * logged in as the admin, and `pgrep` on this host, where the test OpenSSH server runs.
 */
import { execFileSync } from 'node:child_process'
import { startCliServer, type CliServer } from './cli-server.ts'
import { REACHABLE_PYTHON } from './reachable-python.ts'

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
      const headers = { 'content-type': 'application/json', ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` }
      const res = await fetch(server.url + p, { ...init, headers })
      const text = await res.text()
      return { status: res.status, body: text === '' ? null : JSON.parse(text) }
    },
  }
}
