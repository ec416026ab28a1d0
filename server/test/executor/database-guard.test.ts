/**
 * The database guard's decisions (database-guard.ts): which endpoint a URL names, what is hidden,
 * the nft batch, and the start-up line in each case. The guard applied to real runs is
 * server/test/e2e/database-guard.test.ts.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  databaseEndpoint,
  guardOwner,
  guardRemoval,
  guardRuleset,
  guardSetBatch,
  guardUidElement,
  isOnThisHost,
  setUpDatabaseGuard,
  socketDirsToHide,
  type NftRunner,
} from '../../src/executor/local/database-guard.ts'

describe('databaseEndpoint', () => {
  it('reads host and port the way node-postgres connects', () => {
    assert.deepEqual(databaseEndpoint('sqlite:/data/taskyard.db'), { kind: 'sqlite' })
    assert.deepEqual(databaseEndpoint('postgres://u:p@127.0.0.1:6543/db'), { kind: 'postgres', host: '127.0.0.1', port: 6543, socketDir: null })
    assert.deepEqual(databaseEndpoint('postgresql://db.example.com/db'), { kind: 'postgres', host: 'db.example.com', port: 5432, socketDir: null })
    assert.deepEqual(databaseEndpoint('postgres://[::1]:5433/db'), { kind: 'postgres', host: '::1', port: 5433, socketDir: null })
    // No host: node-postgres's default.
    assert.deepEqual(databaseEndpoint('postgres:///db'), { kind: 'postgres', host: 'localhost', port: 5432, socketDir: null })
  })

  it('takes a socket directory from the host query parameter or a percent-encoded authority', () => {
    assert.deepEqual(databaseEndpoint('postgres:///db?host=/var/run/postgresql'), {
      kind: 'postgres',
      host: '/var/run/postgresql',
      port: 5432,
      socketDir: '/var/run/postgresql',
    })
    assert.deepEqual(databaseEndpoint('postgres://%2Frun%2Fpostgresql:5433/db'), {
      kind: 'postgres',
      host: '/run/postgresql',
      port: 5433,
      socketDir: '/run/postgresql',
    })
  })
})

describe('databaseEndpoint and the environment node-postgres reads', () => {
  const saved = { PGHOST: process.env.PGHOST, PGPORT: process.env.PGPORT }
  const restore = (): void => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
  it('PGHOST and PGPORT fill in what the URL leaves out, as for the server’s own client; the URL wins where it says', (t) => {
    t.after(restore)
    process.env.PGHOST = '/srv/pg-sockets'
    process.env.PGPORT = '6432'
    assert.deepEqual(databaseEndpoint('postgres:///db'), { kind: 'postgres', host: '/srv/pg-sockets', port: 6432, socketDir: '/srv/pg-sockets' })
    assert.deepEqual(databaseEndpoint('postgres://u@/db'), { kind: 'postgres', host: '/srv/pg-sockets', port: 6432, socketDir: '/srv/pg-sockets' })
    assert.deepEqual(databaseEndpoint('postgres://127.0.0.1/db'), { kind: 'postgres', host: '127.0.0.1', port: 6432, socketDir: null })
    assert.deepEqual(databaseEndpoint('postgres://127.0.0.1:5433/db'), { kind: 'postgres', host: '127.0.0.1', port: 5433, socketDir: null })
    assert.deepEqual(databaseEndpoint('postgres:///db?host=/run/postgresql&port=5434'), {
      kind: 'postgres',
      host: '/run/postgresql',
      port: 5434,
      socketDir: '/run/postgresql',
    })
    process.env.PGHOST = '127.0.0.2'
    delete process.env.PGPORT
    assert.deepEqual(databaseEndpoint('postgres:///db'), { kind: 'postgres', host: '127.0.0.2', port: 5432, socketDir: null })
  })
})

describe('isOnThisHost', () => {
  const resolve = async (h: string): Promise<string[]> => ({ localhost: ['::1', '127.0.0.1'], 'db.example.com': ['203.0.113.7'] })[h] ?? []
  it('is true for loopback, a socket and names that resolve to loopback; false for another machine', async () => {
    assert.equal(await isOnThisHost('127.0.0.1', resolve), true)
    assert.equal(await isOnThisHost('127.0.1.1', resolve), true)
    assert.equal(await isOnThisHost('::1', resolve), true)
    assert.equal(await isOnThisHost('localhost', resolve), true)
    assert.equal(await isOnThisHost('/run/postgresql', resolve), true)
    assert.equal(await isOnThisHost('db.example.com', resolve), false)
    assert.equal(await isOnThisHost('203.0.113.7', resolve), false)
    assert.equal(await isOnThisHost('unresolvable.invalid', resolve), false)
  })
})

describe('socketDirsToHide', () => {
  const tcp = databaseEndpoint('postgres://127.0.0.1/db')
  it("the default directories that exist, /var/run's link to /run covered once", () => {
    const exists = (p: string): boolean => p === '/run/postgresql'
    assert.deepEqual(socketDirsToHide(tcp, exists), { hide: ['/run/postgresql'], socketsInTmp: [] })
    assert.deepEqual(
      socketDirsToHide(tcp, () => false),
      { hide: [], socketsInTmp: [] },
    )
  })

  it("the URL's own directory only, when it names one; a socket in /tmp is named, not hidden", () => {
    assert.deepEqual(
      socketDirsToHide(databaseEndpoint('postgres:///db?host=/srv/pg-sockets'), () => true),
      { hide: ['/srv/pg-sockets'], socketsInTmp: [] },
    )
    assert.deepEqual(
      socketDirsToHide(databaseEndpoint('postgres:///db?host=/tmp&port=5433'), () => true),
      { hide: [], socketsInTmp: ['/tmp/.s.PGSQL.5433'] },
    )
    assert.deepEqual(
      socketDirsToHide({ kind: 'sqlite' }, () => true),
      { hide: [], socketsInTmp: [] },
    )
  })
})

const OWNER = guardOwner('/srv/taskyard')

describe('guardRuleset', () => {
  it('is one atomic batch: our table, the shared chain of earlier versions removed, this server’s set and chain, the chain and set flushed and filled', () => {
    assert.match(OWNER, /^[0-9a-f]{12}$/)
    assert.equal(
      guardRuleset(5432, OWNER, [1001, 999]),
      [
        'add table inet taskyard',
        'add chain inet taskyard database_5432 { type filter hook output priority 0; policy accept; }',
        'flush chain inet taskyard database_5432',
        'delete chain inet taskyard database_5432',
        'add set inet taskyard database_5432_uids { typeof meta skuid; }',
        'delete set inet taskyard database_5432_uids',
        `add set inet taskyard database_5432_${OWNER}_uids { typeof meta skuid; }`,
        `add chain inet taskyard database_5432_${OWNER} { type filter hook output priority 0; policy accept; }`,
        `flush chain inet taskyard database_5432_${OWNER}`,
        `add rule inet taskyard database_5432_${OWNER} meta skuid @database_5432_${OWNER}_uids tcp dport 5432 fib daddr type local reject with tcp reset`,
        `flush set inet taskyard database_5432_${OWNER}_uids`,
        `add element inet taskyard database_5432_${OWNER}_uids { 999, 1001 }`,
        '',
      ].join('\n'),
    )
    assert.equal(guardUidElement(6543, OWNER, 1002), `add element inet taskyard database_6543_${OWNER}_uids { 1002 }\n`)
    assert.equal(guardSetBatch(6543, OWNER, []), `flush set inet taskyard database_6543_${OWNER}_uids\n`)
    assert.equal(
      guardRemoval(6543, OWNER),
      [
        'add table inet taskyard',
        'add chain inet taskyard database_6543 { type filter hook output priority 0; policy accept; }',
        'flush chain inet taskyard database_6543',
        'delete chain inet taskyard database_6543',
        'add set inet taskyard database_6543_uids { typeof meta skuid; }',
        'delete set inet taskyard database_6543_uids',
        `add chain inet taskyard database_6543_${OWNER} { type filter hook output priority 0; policy accept; }`,
        `flush chain inet taskyard database_6543_${OWNER}`,
        `delete chain inet taskyard database_6543_${OWNER}`,
        `add set inet taskyard database_6543_${OWNER}_uids { typeof meta skuid; }`,
        `delete set inet taskyard database_6543_${OWNER}_uids`,
        '',
      ].join('\n'),
    )
  })

  it('names each server by its data directory: two servers, two chains', () => {
    assert.notEqual(guardOwner('/srv/a'), guardOwner('/srv/b'))
    assert.equal(guardOwner('/srv/a/'), guardOwner('/srv/a'))
  })

  it('refuses a port or uid that is not one (nothing of it reaches nft), and root, which the server itself is', () => {
    assert.throws(() => guardRuleset(0, OWNER, [999]), /not a TCP port: 0/)
    assert.throws(() => guardRuleset(70000, OWNER, [999]), /not a TCP port: 70000/)
    assert.throws(() => guardRuleset(5432, OWNER, [0]), /not a run account's uid: 0/)
    assert.throws(() => guardRuleset(5432, OWNER, [1.5]), /not a run account's uid: 1.5/)
    assert.throws(() => guardUidElement(5432, OWNER, -1), /not a run account's uid: -1/)
    assert.throws(() => guardSetBatch(5432, 'x; flush ruleset', [999]), /not a guard owner/)
  })
})

describe('setUpDatabaseGuard: the start-up line, and it never fails the server', () => {
  const batches: string[] = []
  const ok: NftRunner = async (batch) => {
    batches.push(batch)
    return null
  }
  const base = {
    databaseUrl: 'postgres://postgres@127.0.0.1:5432/db',
    enabled: true,
    dataDir: '/srv/taskyard',
    serverUid: 0 as number,
    runUid: 999 as number | null,
    isolate: true,
    isOnThisHost: async () => true,
    exists: (p: string) => p === '/run/postgresql',
  }

  it('root, run account, local PostgreSQL: the rule installed with the tasks’ accounts and the socket directory hidden; a task’s own account joins once', async () => {
    batches.length = 0
    const guard = await setUpDatabaseGuard({ ...base, nft: ok, accounts: async () => [1003, 999, 0] })
    assert.equal(
      guard.message,
      `Database guard: TCP to port 5432 on this machine's addresses refused to the run accounts (nftables table inet taskyard, chain database_5432_${OWNER}); its socket directory /run/postgresql hidden from runs.`,
    )
    assert.deepEqual(guard.hiddenDirs, ['/run/postgresql'])
    assert.equal(guard.installed, true)
    assert.deepEqual(batches, [guardRuleset(5432, OWNER, [999, 1003])])
    await guard.guardAccount(1001)
    await guard.guardAccount(1001)
    await guard.guardAccount(999)
    await guard.guardAccount(0)
    assert.deepEqual(batches, [guardRuleset(5432, OWNER, [999, 1003]), guardUidElement(5432, OWNER, 1001)])
  })

  it('reconcile: exactly the default account, the given ones and the pinned; pins go only up to the sequence given; close removes ours', async () => {
    batches.length = 0
    const guard = await setUpDatabaseGuard({ ...base, nft: ok, accounts: async () => [1003] })
    await guard.guardAccount(1001) // a run as 1001 started: pinned
    const seen = guard.pinned()
    await guard.guardAccount(1002) // another, after the caller looked
    await guard.reconcile([], null) // busy runs: every pin stays, 1003 (no task names it now) goes
    await guard.reconcile([], seen) // idle as of `seen`: 1001 goes, 1002 stays
    await guard.reconcile([], seen) // nothing changes: no nft call
    await guard.reconcile([1004, 0], guard.pinned())
    assert.deepEqual(batches.slice(1), [
      guardUidElement(5432, OWNER, 1001),
      guardUidElement(5432, OWNER, 1002),
      guardSetBatch(5432, OWNER, [999, 1001, 1002]),
      guardSetBatch(5432, OWNER, [999, 1002]),
      guardSetBatch(5432, OWNER, [999, 1004]),
    ])
    await guard.close()
    assert.equal(batches.at(-1), guardRemoval(5432, OWNER))
    assert.equal(guard.installed, false)
    await guard.guardAccount(1005)
    await guard.reconcile([1006], null)
    assert.equal(batches.at(-1), guardRemoval(5432, OWNER), 'nothing after close')
  })

  it('nft missing or failing: a warning that says what to do, the socket still hidden', async () => {
    const missing = await setUpDatabaseGuard({ ...base, nft: null })
    assert.match(
      missing.message,
      /^Database guard: WARNING: TCP to port 5432 is NOT refused \(nft is not installed\): runs can connect to the database over TCP\. Install nftables/,
    )
    assert.deepEqual(missing.hiddenDirs, ['/run/postgresql'])
    const failing = await setUpDatabaseGuard({ ...base, nft: async () => 'Error: Could not process rule: Operation not permitted\nmore' })
    assert.match(failing.message, /NOT refused \(nft failed: Error: Could not process rule: Operation not permitted\)/)
    assert.equal(failing.installed, false)
    await failing.guardAccount(1001) // nothing installed: nothing to add to, and no throw
  })

  it('says why there is no guard: SQLite, off (which removes ours), a remote database, a server that is not root, runs as root', async () => {
    const message = async (o: Partial<typeof base>): Promise<string> => (await setUpDatabaseGuard({ ...base, nft: ok, ...o })).message
    batches.length = 0
    assert.match(await message({ databaseUrl: 'sqlite:/d/taskyard.db' }), /^Database guard: not needed \(SQLite/)
    assert.match(
      await message({ isOnThisHost: async () => false, databaseUrl: 'postgres://db.example.com/db' }),
      /not applied \(PostgreSQL is on db\.example\.com/,
    )
    assert.match(await message({ serverUid: 1000, runUid: null }), /unavailable \(the server is not root.*Use password authentication/)
    assert.match(await message({ runUid: null }), /unavailable \(runs execute as root/)
    assert.deepEqual(batches, [], 'no nft call in any of these')
    assert.match(await message({ enabled: false }), /^WARNING: Database guard: off \(TASKYARD_GUARD_DATABASE=0\)/)
    assert.deepEqual(batches, [guardRemoval(5432, OWNER)], 'off removes what this server installed')
    assert.match(await message({ enabled: false, serverUid: 1000 }), /off/)
    assert.deepEqual(batches, [guardRemoval(5432, OWNER)], 'a server that is not root has nothing to remove, and cannot')
  })

  it('isolation off: the socket directory is named as NOT hidden; a socket in /tmp is out of reach only for isolated runs', async () => {
    const guard = await setUpDatabaseGuard({ ...base, nft: ok, isolate: false })
    assert.deepEqual(guard.hiddenDirs, [])
    assert.match(guard.message, /WARNING: its socket directory \/run\/postgresql is NOT hidden \(run isolation is off\)/)
    const inTmp = { ...base, nft: ok, exists: (p: string) => p === '/tmp/.s.PGSQL.5432' }
    assert.match((await setUpDatabaseGuard(inTmp)).message, /the socket \/tmp\/\.s\.PGSQL\.5432 in \/tmp out of runs' reach \(each has a \/tmp of its own\)/)
    assert.match(
      (await setUpDatabaseGuard({ ...inTmp, isolate: false })).message,
      /WARNING: the socket \/tmp\/\.s\.PGSQL\.5432 in \/tmp is NOT hidden \(run isolation is off\)/,
    )
  })
})
