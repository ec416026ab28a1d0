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
import net from 'node:net'
import { describe, it, type TestContext } from 'node:test'
import { guardNames, NFT_TABLE } from '../../src/executor/local/database-guard.ts'
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

/** Our table's chains, rules and sets as nft reports them (JSON), for the one port. */
function guardState(port: number): { chains: string[]; rules: number; uids: number[] } {
  const { chain, set } = guardNames(port)
  const listed = JSON.parse(execFileSync(NFT!, ['-j', 'list', 'table', 'inet', NFT_TABLE], { encoding: 'utf8' })) as {
    nftables: Array<{ chain?: { name: string }; rule?: { chain: string }; set?: { name: string; elem?: number[] } }>
  }
  const items = listed.nftables
  return {
    chains: items.flatMap((i) => (i.chain && i.chain.name === chain ? [i.chain.name] : [])),
    rules: items.filter((i) => i.rule?.chain === chain).length,
    uids: items.find((i) => i.set?.name === set)?.set?.elem ?? [],
  }
}

/** Removes our chain and set for the port (ours alone, by name), so the next start must make them. */
function removeGuard(port: number): void {
  const { chain, set } = guardNames(port)
  for (const args of [
    ['delete', 'chain', 'inet', NFT_TABLE, chain],
    ['delete', 'set', 'inet', NFT_TABLE, set],
  ]) {
    try {
      execFileSync(NFT!, args, { stdio: 'ignore' })
    } catch {
      // not there
    }
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
): Promise<{ log: string; status: string | undefined }> {
  const res = await app.createTask(
    { conda_env: 'base', task_name: 'db-probe', command: `python probe.py ${dbHost} ${dbPort} ${controlPort}`, ...more },
    { name: 'probe.py', content: PROBE },
  )
  assert.equal(res.status, 201, JSON.stringify(res.body))
  const runId = (await app.store.runs.listForTask(res.body.task.task_id, 1))[0]!.id
  await app.runFinished(runId)
  return { log: readFileSync(runLogFile(app.paths.logsDir, runId), 'utf8'), status: (await app.store.runs.findById(runId))?.status }
}

describe('a run cannot reach the server’s own PostgreSQL (database guard)', { skip }, () => {
  const db = new URL(process.env.TASKYARD_TEST_PG_URL ?? 'postgres://127.0.0.1:5432/')
  const dbHost = db.hostname || '127.0.0.1'
  const dbPort = Number(db.port || 5432)

  it('refuses the run account TCP to the database port and hides the socket directory; a loopback listener stays reachable and the server keeps working', async (t) => {
    removeGuard(dbPort)
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
    assert.deepEqual(guardState(dbPort), { chains: [guardNames(dbPort).chain], rules: 1, uids: [account.uid] })

    // The control: the same probe as root, outside the run, reaches both. The refusals above are the guard's.
    const direct = steps(execFileSync('/usr/bin/python3', ['-c', PROBE, dbHost, String(dbPort), String(control.port)], { encoding: 'utf8' }))
    assert.equal(direct['database tcp'], 'connected')
    if (existsSync('/run/postgresql')) assert.equal(direct['/run/postgresql socket'], 'connected')
  })

  it("a task's own run_as account is refused too, from its first run", async (t) => {
    // daemon, not nobody: other suites start Taskyard itself as nobody on this database, and an
    // account in the set stays refused until it is taken out again (below).
    const account = (await lookupAccount('daemon'))!
    assert.ok(account, 'this machine has daemon')
    const takeOut = () => {
      try {
        execFileSync(NFT!, ['delete', 'element', 'inet', NFT_TABLE, guardNames(dbPort).set, `{ ${account.uid} }`], { stdio: 'ignore' })
      } catch {
        // not there
      }
    }
    // Not in the set from an earlier run of this test: the start must not have put it there, the run's resolve does.
    takeOut()
    t.after(takeOut)
    const app = await createTestApp(t, { dialect: postgres!, env: REACHABLE_PYTHON })
    const control = await controlListener(t)
    const { log, status } = await probeRun(app, dbHost, dbPort, control.port, { run_as: 'daemon' })
    const got = steps(log)
    assert.equal(got.uid, String(account.uid), log)
    assert.equal(got['database tcp'], 'refused', log)
    assert.equal(got['/run/postgresql socket'], 'missing', log)
    assert.equal(got['control tcp'], 'connected', log)
    assert.equal(status, 'completed', log)
    assert.ok(guardState(dbPort).uids.includes(account.uid))
  })

  it('a second start replaces the rule rather than adding another', async (t) => {
    const account = (await lookupAccount('taskyard-run'))!
    await createTestApp(t, { dialect: postgres!, env: REACHABLE_PYTHON })
    const first = guardState(dbPort)
    await createTestApp(t, { dialect: postgres!, env: REACHABLE_PYTHON })
    assert.deepEqual(guardState(dbPort), first)
    assert.deepEqual([first.chains, first.rules], [[guardNames(dbPort).chain], 1])
    assert.ok(first.uids.includes(account.uid), JSON.stringify(first))
  })
})
