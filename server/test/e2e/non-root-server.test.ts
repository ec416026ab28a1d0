/**
 * Issue 6: a server that is not root says so, says which run isolation it uses, and with the
 * isolation on its runs cannot see its data directory. The real CLI, started as `nobody` (the test
 * must be root to do that). Needs the executor's isolation (server/src/executor): where it is
 * missing, the run reads the server's files and the reach test fails, as it should.
 */
import assert from 'node:assert/strict'
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { probeMountNamespace } from '../helpers/mount-namespace-probe.ts'
import { startCliServer, type CliServer } from '../helpers/cli-server.ts'
import { REACHABLE_PYTHON } from '../helpers/reachable-python.ts'

const PROBE = path.join(import.meta.dirname, 'fixtures/reach-probe.py')
const NOBODY = 65534
const isRoot = process.getuid?.() === 0

async function startAsNobody(t: TestContext, dataDir: string): Promise<CliServer> {
  const server = await startCliServer({
    dataDir,
    env: { PATH: process.env.PATH, HOME: dataDir, TASKYARD_LOG_LEVEL: 'warn', ...REACHABLE_PYTHON },
    wrapper: ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'],
  })
  t.after(() => server.stop())
  return server
}

describe('a server that is not root (issue 6)', { skip: !isRoot && 'needs root to start a server as nobody' }, () => {
  it('says at start that runs execute as its own user, and which run isolation is in use', async (t) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'taskyard-nonroot-'))
    t.after(() => rm(dataDir, { recursive: true, force: true }))
    await chown(dataDir, NOBODY, NOBODY)
    const { out } = await startAsNobody(t, dataDir)
    assert.match(
      out,
      new RegExp(`^Taskyard is not running as root: runs execute as this server's own user \\(uid ${NOBODY}\\) and can read whatever it can\\.`, 'm'),
    )
    // What this machine allows a user like nobody, asked the same way the server asks.
    const works = (await probeMountNamespace(false)) === null
    assert.match(out, works ? /^Run isolation: (?!off|unavailable).+ \(each run sees only its own task and output folders/m : /^Run isolation: unavailable \(/m)
  })

  it('with isolation, its runs see nothing of the data directory but their own folders, and a forged token gets 401', async (t) => {
    if ((await probeMountNamespace(false)) !== null) return t.skip('this machine gives unprivileged users no mount namespace')
    const dataDir = await mkdtemp(path.join(tmpdir(), 'taskyard-nonroot-'))
    t.after(() => rm(dataDir, { recursive: true, force: true }))
    await chown(dataDir, NOBODY, NOBODY)
    const { url } = await startAsNobody(t, dataDir)
    const password = (await readFile(path.join(dataDir, 'admin-password.txt'), 'utf8')).trim()
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    })
    const { token } = (await login.json()) as { token: string }
    const api = (p: string, init: RequestInit = {}) => fetch(`${url}${p}`, { ...init, headers: { authorization: `Bearer ${token}` } })
    const form = new FormData()
    form.set('script_file', new Blob([await readFile(PROBE)]), 'probe.py')
    form.set('conda_env', 'base')
    form.set('command', `python probe.py ${url} ${dataDir} 999 999`)
    const created = await api('/api/tasks', { method: 'POST', body: form })
    assert.equal(created.status, 201)
    const taskId = ((await created.json()) as any).task.task_id
    let detail: any
    for (let i = 0; i < 400; i++) {
      detail = await (await api(`/api/tasks/${taskId}`)).json()
      if (detail.latest_execution?.end_time) break
      await new Promise((r) => setTimeout(r, 25))
    }
    const log: string = detail.latest_execution.logs
    const steps = Object.fromEntries(
      log
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
    )
    for (const step of ['secret.key', 'database', 'database wal', 'admin password', 'logs listing']) {
      assert.match(steps[step] ?? 'absent', /^(denied|missing)$/, `${step}\n${log}`)
    }
    // The data directory is an empty stand-in holding only the way to the run's own folders.
    assert.match(steps['data dir listing'] ?? 'absent', /^listed \[("(envs|outputs|tasks)"(, )?)*\]$/, log)
    assert.equal(steps['output dir'], 'written', log)
    assert.equal(steps['task dir'], 'written', log)
    assert.equal(steps['forged token'], 'HTTP 401', log)
  })
})
