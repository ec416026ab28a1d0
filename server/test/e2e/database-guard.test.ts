/**
 * A run cannot reach the server's own PostgreSQL (database-guard.ts), end to end: a real server
 * on the real PostgreSQL of this machine, as root; a real run as the run account tries the
 * database's TCP port and its Unix socket and gets neither, while a listener of the test on
 * loopback stays reachable (the guard is narrow) and the server itself keeps using the database.
 * Without the guard the same run connects to both: this machine's PostgreSQL trusts local
 * connections (the control at the end of the first test does it as root).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import net from 'node:net'
import { describe, it, type TestContext } from 'node:test'
import { guardNames, guardOwner, guardRuleset, legacyGuardNames, NFT_TABLE } from '../../src/executor/local/database-guard.ts'
import { loadConfig } from '../../src/config/config.ts'
import { startTaskyard } from '../../src/main.ts'
import { lookupAccount } from '../../src/lib/os-accounts.ts'
import { runLogFile } from '../../src/logs/file-log-store.ts'
import { REACHABLE_PYTHON } from '../helpers/reachable-python.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const NFT = ['/usr/sbin/nft', '/sbin/nft'].find((p) => existsSync(p))
const postgres = testDialects().find((d) => d.name === 'postgres')
const skip =
  process.getuid?.() !== 0
    ? 'skipped: needs root (only a root server runs tasks as another account, which the guard tells apart)'
    : !NFT
      ? 'skipped: nft is not installed (apt-get install nftables)'
      : !postgres
        ? 'skipped: set TASKYARD_TEST_PG_URL to a PostgreSQL on this machine'
        : false

const PROBE = `import json, os, socket, sys
db_host, db_port, control_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def tcp(host, port):
    try:
        socket.create_connection((host, port), 5).close()
        return 'connected'
    except ConnectionRefusedError:
        return 'refused'
    except OSError as e:
        return type(e).__name__
def unix(path):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        return 'connected'
    except FileNotFoundError:
        return 'missing'
    except PermissionError:
        return 'denied'
    finally:
        s.close()
print('uid:', os.getuid())
print('database tcp:', tcp(db_host, db_port))
for d in ('/run/postgresql', '/var/run/postgresql'):
    print(d + ' listing:', json.dumps(sorted(os.listdir(d))) if os.path.isdir(d) else 'missing')
    print(d + ' socket:', unix(d + '/.s.PGSQL.%d' % db_port))
print('control tcp:', tcp('127.0.0.1', control_port))
`

function steps(log: string): Record<string, string> {
  return Object.fromEntries(
    log
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]),
  )
}

type Listed = Array<{ chain?: { name: string }; rule?: { chain: string }; set?: { name: string; elem?: number[] } }>

function listed(): Listed {
  try {
    return (
      JSON.parse(execFileSync(NFT!, ['-j', 'list', 'table', 'inet', NFT_TABLE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as {
        nftables: Listed
      }
    ).nftables
  } catch {
    return [] // no table at all
  }
}

/** A chain and set of our table as nft reports them (JSON): whether the chain is there, its rules, the set's uids (null: no set). */
function chainState(names: { chain: string; set: string }): { chain: boolean; rules: number; uids: number[] | null } {
  const items = listed()
  const set = items.find((i) => i.set?.name === names.set)?.set
  return {
    chain: items.some((i) => i.chain?.name === names.chain),
    rules: items.filter((i) => i.rule?.chain === names.chain).length,
    uids: set ? [...(set.elem ?? [])].sort((a, b) => a - b) : null,
  }
}

/** This server's chain and set (named after its data directory). */
function guardState(port: number, dataDir: string): { chain: boolean; rules: number; uids: number[] | null } {
  return chainState(guardNames(port, guardOwner(dataDir)))
}

function nftBatch(batch: string): void {
  execFileSync(NFT!, ['-f', '-'], { input: batch, stdio: ['pipe', 'ignore', 'inherit'] })
}

async function waitFor<T>(what: string, read: () => T, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const value = read()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function controlListener(t: TestContext): Promise<{ port: number; accepted: () => number }> {
  let accepted = 0
  const server = net.createServer((socket) => {
    accepted += 1
    socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { port: (server.address() as net.AddressInfo).port, accepted: () => accepted }
}

async function probeRun(
  app: TestApp,
  dbHost: string,
  dbPort: number,
  controlPort: number,
  more: Record<string, string> = {},
): Promise<{ log: string; status: string | undefined; taskId: number }> {
  const res = await app.createTask(
    { conda_env: 'base', task_name: 'db-probe', command: `python probe.py ${dbHost} ${dbPort} ${controlPort}`, ...more },
    { name: 'probe.py', content: PROBE },
  )
  assert.equal(res.status, 201, JSON.stringify(res.body))
  const runId = (await app.store.runs.listForTask(res.body.task.task_id, 1))[0]!.id
  await app.runFinished(runId)
  return {
    log: readFileSync(runLogFile(app.paths.logsDir, runId), 'utf8'),
    status: (await app.store.runs.findById(runId))?.status,
    taskId: res.body.task.task_id,
  }
}

describe('a run cannot reach the server’s own PostgreSQL (database guard)', { skip }, () => {
  const db = new URL(process.env.TASKYARD_TEST_PG_URL ?? 'postgres://127.0.0.1:5432/')
  const dbHost = db.hostname || '127.0.0.1'
  const dbPort = Number(db.port || 5432)

  it('refuses the run account TCP to the database port and hides the socket directory; a loopback listener stays reachable and the server keeps working', async (t) => {
    const account = (await lookupAccount('taskyard-run'))!
    const app = await createTestApp(t, { dialect: postgres!, env: REACHABLE_PYTHON })
    assert.ok(account, 'the server created its run account')
    const control = await controlListener(t)

    const { log, status } = await probeRun(app, dbHost, dbPort, control.port)
    const got = steps(log)
    assert.equal(got.uid, String(account.uid), log)
    assert.equal(got['database tcp'], 'refused', log)
    for (const dir of ['/run/postgresql', '/var/run/postgresql']) {
      // Hidden: an empty tmpfs where the directory was (or no such directory on this machine at all).
      assert.match(got[`${dir} listing`] ?? 'absent', /^(\[\]|missing)$/, log)
      assert.equal(got[`${dir} socket`], 'missing', log)
    }
    assert.equal(got['control tcp'], 'connected', log)
    assert.equal(control.accepted(), 1)
    assert.equal(status, 'completed', log)

    // The server itself (root) still uses the database: its API reads it.
    const tasks = await app.json('/api/tasks')
    assert.equal(tasks.status, 200)
    assert.deepEqual(
      tasks.body.map((task: { task_name: string }) => task.task_name),
      ['db-probe'],
    )
    assert.deepEqual(guardState(dbPort, app.dataDir), { chain: true, rules: 1, uids: [account.uid] })

    // The control: the same probe as root, outside the run, reaches both. The refusals above are the guard's.
    const direct = steps(execFileSync('/usr/bin/python3', ['-c', PROBE, dbHost, String(dbPort), String(control.port)], { encoding: 'utf8' }))
    assert.equal(direct['database tcp'], 'connected')
    if (existsSync('/run/postgresql')) assert.equal(direct['/run/postgresql socket'], 'connected')

    // Stopped, the server leaves nothing of its own behind.
    await app.close()
    assert.deepEqual(guardState(dbPort, app.dataDir), { chain: false, rules: 0, uids: null })
  })

  it("a task's own run_as account is refused from its first run, and no longer once no task names it", async (t) => {
    const account = (await lookupAccount('daemon'))!
    const runAccount = (await lookupAccount('taskyard-run'))!
    assert.ok(account, 'this machine has daemon')
    const app = await createTestApp(t, { dialect: postgres!, env: REACHABLE_PYTHON })
    assert.deepEqual(guardState(dbPort, app.dataDir).uids, [runAccount.uid], 'not in the set before a task names it')
    const control = await controlListener(t)
    const { log, status, taskId } = await probeRun(app, dbHost, dbPort, control.port, { run_as: 'daemon' })
    const got = steps(log)
    assert.equal(got.uid, String(account.uid), log)
    assert.equal(got['database tcp'], 'refused', log)
    assert.equal(got['/run/postgresql socket'], 'missing', log)
    assert.equal(got['control tcp'], 'connected', log)
    assert.equal(status, 'completed', log)
    assert.deepEqual(
      guardState(dbPort, app.dataDir).uids,
      [account.uid, runAccount.uid].sort((a, b) => a - b),
    )

    // The task goes: so does its account (it may be another service's, or another Taskyard's own).
    const deleted = await app.json(`/api/tasks/${taskId}`, { method: 'DELETE' })
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body))
    await waitFor(
      'the set after the task was deleted',
      () => guardState(dbPort, app.dataDir).uids,
      (uids) => JSON.stringify(uids) === JSON.stringify([runAccount.uid]),
    )
  })

  it('a restart makes the set exactly the accounts the tasks name, replaces the rule rather than adding another, and removes the shared chain of earlier versions', async (t) => {
    const runAccount = (await lookupAccount('taskyard-run'))!
    const daemon = (await lookupAccount('daemon'))!
    const app = await createTestApp(t, { dialect: postgres!, env: REACHABLE_PYTHON })
    const created = await app.createTask({ conda_env: 'base', task_name: 'as-daemon', command: 'true', run_as: 'daemon' })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    await app.runFinished((await app.store.runs.listForTask(created.body.task.task_id, 1))[0]!.id)
    await app.close()
    assert.equal(guardState(dbPort, app.dataDir).chain, false)
    // What an earlier version left: one set for every server of the port, with an account in it for
    // good. A uid no account has: a real one (nobody) would refuse other suites' servers meanwhile.
    const STALE = 4_000_123
    const legacy = legacyGuardNames(dbPort)
    nftBatch(
      [
        `add table inet ${NFT_TABLE}`,
        `add set inet ${NFT_TABLE} ${legacy.set} { typeof meta skuid; }`,
        `add chain inet ${NFT_TABLE} ${legacy.chain} { type filter hook output priority 0; policy accept; }`,
        `add rule inet ${NFT_TABLE} ${legacy.chain} meta skuid @${legacy.set} tcp dport ${dbPort} fib daddr type local reject with tcp reset`,
        `add element inet ${NFT_TABLE} ${legacy.set} { ${STALE} }`,
        '',
      ].join('\n'),
    )
    // And a stale account in this server's own set, as a crash would leave it.
    nftBatch(guardRuleset(dbPort, guardOwner(app.dataDir), [runAccount.uid, STALE]))

    for (const round of [1, 2]) {
      const again = await startTaskyard(
        loadConfig({ host: '127.0.0.1', port: '0', dataDir: app.dataDir, databaseUrl: app.databaseUrl }, { ...process.env, ...REACHABLE_PYTHON }),
        { logger: false, log: () => undefined },
      )
      try {
        assert.deepEqual(
          guardState(dbPort, app.dataDir),
          { chain: true, rules: 1, uids: [daemon.uid, runAccount.uid].sort((a, b) => a - b) },
          `start ${round}: the default account and the task's, before any run; the stale one no longer`,
        )
        // Gone: an older Taskyard elsewhere on this machine (another checkout's tests) may have made
        // it again since, but only with its own run account, never the STALE put there above.
        const left = chainState(legacy)
        assert.ok(left.uids === null || !left.uids.includes(STALE), JSON.stringify(left))
      } finally {
        await again.close()
      }
    }
  })

  it('two servers on one machine keep their own accounts: one stopping leaves the other’s guard in place; TASKYARD_GUARD_DATABASE=off removes only its own', async (t) => {
    const runAccount = (await lookupAccount('taskyard-run'))!
    const daemon = (await lookupAccount('daemon'))!
    const a = await createTestApp(t, { dialect: postgres!, env: REACHABLE_PYTHON })
    const b = await createTestApp(t, { dialect: postgres!, env: REACHABLE_PYTHON })
    const created = await a.createTask({ conda_env: 'base', task_name: 'as-daemon', command: 'true', run_as: 'daemon' })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    await a.runFinished((await a.store.runs.listForTask(created.body.task.task_id, 1))[0]!.id)
    assert.deepEqual(
      guardState(dbPort, a.dataDir).uids,
      [daemon.uid, runAccount.uid].sort((x, y) => x - y),
    )
    assert.deepEqual(guardState(dbPort, b.dataDir).uids, [runAccount.uid], "a's task's account is not b's")

    // A third data directory that a crash left guarded, started with the guard off: its chain goes, a's and b's stay.
    const offDir = await mkdtemp(path.join(tmpdir(), 'taskyard-guard-off-'))
    t.after(() => rm(offDir, { recursive: true, force: true }))
    nftBatch(guardRuleset(dbPort, guardOwner(offDir), [daemon.uid]))
    const offDb = await postgres!.open()
    await offDb.store.close()
    t.after(() => offDb.cleanup())
    const off = await startTaskyard(
      loadConfig(
        { host: '127.0.0.1', port: '0', dataDir: offDir, databaseUrl: offDb.databaseUrl },
        { ...process.env, ...REACHABLE_PYTHON, TASKYARD_GUARD_DATABASE: 'off', TASKYARD_ADMIN_PASSWORD: 'test-admin-password' },
      ),
      { logger: false, log: () => undefined },
    )
    await off.close()
    assert.deepEqual(guardState(dbPort, offDir), { chain: false, rules: 0, uids: null })
    assert.equal(guardState(dbPort, a.dataDir).rules, 1)

    await a.close()
    assert.deepEqual(guardState(dbPort, a.dataDir), { chain: false, rules: 0, uids: null })
    assert.deepEqual(guardState(dbPort, b.dataDir), { chain: true, rules: 1, uids: [runAccount.uid] })
    // And b's runs are still refused, now that a is gone.
    const control = await controlListener(t)
    const { log } = await probeRun(b, dbHost, dbPort, control.port)
    assert.equal(steps(log)['database tcp'], 'refused', log)
  })
})
