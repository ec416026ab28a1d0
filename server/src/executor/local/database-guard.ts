/**
 * Keeps runs away from the server's own PostgreSQL (a task is untrusted code: it never reaches
 * the server's database). The mount namespace hides the SQLite file, but a database server on
 * this machine is reached over TCP on loopback (or any of the machine's addresses) and over its
 * Unix socket, often with `trust` auth for local connections. Two guards, as close to the kernel
 * as we get without owning the database's configuration:
 *
 * - TCP: an nftables rule on the output hook refuses (TCP reset) connections of the run accounts'
 *   uids (`meta skuid`) to the database's port on any local address (`fib daddr type local`: a
 *   database listening on 0.0.0.0 is reachable through every address of the machine, not only
 *   127.0.0.1). The server itself is root and is not matched. The uid set is exactly the run
 *   accounts in use: the default one and those tasks name (run_as), made so at start and kept so
 *   as tasks change; an account no task names any more is refused no longer (it may be another
 *   service's, or another Taskyard's own). Each server has a chain and set of its own, named
 *   after its data directory (guardOwner): two servers on one machine never remove each other's
 *   accounts, and a server removes its own when it stops or is started with the guard off.
 * - Unix socket: its directory is hidden in the run's mount namespace (build-run-spec's hidden list).
 *
 * Only the database: the server's own HTTP port needs a token, and other services of the machine
 * are the administrator's to firewall; refusing more would break tasks that legitimately talk to them.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { lookup } from 'node:dns/promises'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'

/** Where the server's database lives, as far as guarding it goes. */
export type DatabaseEndpoint = { kind: 'sqlite' } | { kind: 'postgres'; host: string; port: number; socketDir: string | null }

const PG_DEFAULT_PORT = 5432
/** Where Debian, RHEL and upstream builds put PostgreSQL's socket (upstream's is /tmp). */
export const PG_DEFAULT_SOCKET_DIRS = ['/run/postgresql', '/var/run/postgresql'] as const

/**
 * The host, port and socket directory the server's own node-postgres client connects to for this
 * URL: asked of node-postgres itself (a client is made, never connected), so its rules hold
 * exactly — the `host` and `port` query parameters over the authority, then PGHOST and PGPORT
 * of the server's environment for what the URL leaves out, then localhost:5432. A host starting
 * with '/' is a socket directory.
 */
export function databaseEndpoint(databaseUrl: string): DatabaseEndpoint {
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) return { kind: 'sqlite' }
  const client = new pg.Client({ connectionString: databaseUrl })
  const host = String(client.host || 'localhost').replace(/^\[(.*)\]$/, '$1')
  const port = Number(client.port) || PG_DEFAULT_PORT
  return { kind: 'postgres', host, port, socketDir: host.startsWith('/') ? host : null }
}

/** Whether the host names this machine: a socket, loopback, one of its addresses or its name (resolved). */
export async function isOnThisHost(host: string, resolve: (h: string) => Promise<string[]> = resolveAll): Promise<boolean> {
  if (host.startsWith('/')) return true
  const own = new Set(ownAddresses())
  const addresses = net.isIP(host) ? [host] : await resolve(host).catch(() => [])
  return addresses.some((a) => isLoopback(a) || own.has(a))
}

async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true })).map((r) => r.address)
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.')
}

function ownAddresses(): string[] {
  return Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address))
}

/**
 * The socket directories a run must not see: the URL's own, else the default ones that exist.
 * A socket in /tmp (upstream's default) is not among them: an isolated run has a /tmp of its own
 * (isolation.ts PRIVATE_TMP), which does not have it; `socketsInTmp` names them so start-up can
 * say so, a warning where runs are not isolated.
 */
export function socketDirsToHide(endpoint: DatabaseEndpoint, exists: (p: string) => boolean = fs.existsSync): { hide: string[]; socketsInTmp: string[] } {
  if (endpoint.kind !== 'postgres') return { hide: [], socketsInTmp: [] }
  const candidates = endpoint.socketDir ? [endpoint.socketDir] : [...PG_DEFAULT_SOCKET_DIRS]
  const seen = new Set<string>()
  const hide: string[] = []
  const socketsInTmp: string[] = []
  for (const dir of candidates) {
    if (dir === '/tmp' || dir === '/tmp/') {
      const socket = `/tmp/.s.PGSQL.${endpoint.port}`
      if (exists(socket)) socketsInTmp.push(socket)
      continue
    }
    if (!exists(dir)) continue
    // /var/run is usually a link to /run: one directory, covered once.
    const real = realpathOr(dir)
    if (seen.has(real)) continue
    seen.add(real)
    hide.push(real)
  }
  if (!endpoint.socketDir && exists(`/tmp/.s.PGSQL.${endpoint.port}`)) socketsInTmp.push(`/tmp/.s.PGSQL.${endpoint.port}`)
  return { hide, socketsInTmp }
}

function realpathOr(p: string): string {
  try {
    return fs.realpathSync(p)
  } catch {
    return p
  }
}

/** Our table. Nothing else of the machine's ruleset is touched. */
export const NFT_TABLE = 'taskyard'

/**
 * Which server a chain and set belong to: the first 12 hex digits of the SHA-256 of its data
 * directory's real path. Two servers on one machine (a fleet on one host, test suites in
 * parallel) each keep their own chain and set, so one never removes what another refuses.
 */
export function guardOwner(dataDir: string): string {
  let real = path.resolve(dataDir)
  try {
    real = fs.realpathSync(real)
  } catch {
    // not there yet: its resolved path
  }
  return createHash('sha256').update(real).digest('hex').slice(0, 12)
}

/** This server's chain and uid set for the database port (guardOwner). */
export function guardNames(port: number, owner: string): { chain: string; set: string } {
  if (!/^[0-9a-f]{12}$/.test(owner)) throw new Error(`not a guard owner: ${owner}`)
  return { chain: `database_${port}_${owner}`, set: `database_${port}_${owner}_uids` }
}

/** The chain and set earlier versions shared between all servers of a port (only ever added to). */
export function legacyGuardNames(port: number): { chain: string; set: string } {
  return { chain: `database_${port}`, set: `database_${port}_uids` }
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a TCP port: ${port}`)
}

function checkUids(uids: readonly number[]): void {
  for (const uid of uids) if (!Number.isInteger(uid) || uid <= 0) throw new Error(`not a run account's uid: ${uid}`)
}

/** Removes a chain and its set, whether they exist or not (added first: nft 1.0.6 has no `destroy`; flushed, since a chain with rules cannot go). */
function removal(names: { chain: string; set: string }): string[] {
  return [
    `add chain inet ${NFT_TABLE} ${names.chain} { type filter hook output priority 0; policy accept; }`,
    `flush chain inet ${NFT_TABLE} ${names.chain}`,
    `delete chain inet ${NFT_TABLE} ${names.chain}`,
    `add set inet ${NFT_TABLE} ${names.set} { typeof meta skuid; }`,
    `delete set inet ${NFT_TABLE} ${names.set}`,
  ]
}

/**
 * The nft batch (`nft -f -`) that installs this server's guard for `port` with exactly these
 * uids, atomically: the whole batch applies or none of it. The chain and the set are flushed and
 * filled again, so a restart replaces rather than duplicates, and an account no task names any
 * more is refused no longer. The shared chain and set of earlier versions go (their set was only
 * ever added to: an account once used stayed refused).
 */
export function guardRuleset(port: number, owner: string, uids: readonly number[]): string {
  checkPort(port)
  checkUids(uids)
  const { chain, set } = guardNames(port, owner)
  const lines = [
    `add table inet ${NFT_TABLE}`,
    ...removal(legacyGuardNames(port)),
    `add set inet ${NFT_TABLE} ${set} { typeof meta skuid; }`,
    `add chain inet ${NFT_TABLE} ${chain} { type filter hook output priority 0; policy accept; }`,
    `flush chain inet ${NFT_TABLE} ${chain}`,
    `add rule inet ${NFT_TABLE} ${chain} meta skuid @${set} tcp dport ${port} fib daddr type local reject with tcp reset`,
    ...guardSetLines(set, uids),
  ]
  return lines.join('\n') + '\n'
}

function guardSetLines(set: string, uids: readonly number[]): string[] {
  const lines = [`flush set inet ${NFT_TABLE} ${set}`]
  if (uids.length > 0) lines.push(`add element inet ${NFT_TABLE} ${set} { ${[...uids].sort((a, b) => a - b).join(', ')} }`)
  return lines
}

/** The nft batch that makes this server's uid set exactly `uids`, atomically. */
export function guardSetBatch(port: number, owner: string, uids: readonly number[]): string {
  checkPort(port)
  checkUids(uids)
  return guardSetLines(guardNames(port, owner).set, uids).join('\n') + '\n'
}

/** The nft batch that adds one more run account to this server's installed guard. */
export function guardUidElement(port: number, owner: string, uid: number): string {
  checkUids([uid])
  return `add element inet ${NFT_TABLE} ${guardNames(port, owner).set} { ${uid} }\n`
}

/** The nft batch that removes this server's chain and set (and the shared ones of earlier versions); other servers' stay. */
export function guardRemoval(port: number, owner: string): string {
  checkPort(port)
  return [`add table inet ${NFT_TABLE}`, ...removal(legacyGuardNames(port)), ...removal(guardNames(port, owner))].join('\n') + '\n'
}

/** Runs `nft -f -` with the batch; resolves with nft's complaint on failure, null on success. */
export type NftRunner = (batch: string) => Promise<string | null>

export function nftRunner(nft = findNft()): NftRunner | null {
  if (!nft) return null
  return (batch) =>
    new Promise((resolve) => {
      const child = spawn(nft, ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (c: Buffer) => (stderr += String(c)))
      child.on('error', (e) => resolve(e.message))
      child.on('close', (code) => resolve(code === 0 ? null : stderr.trim() || `nft exited with ${code}`))
      child.stdin.end(batch)
    })
}

function findNft(): string | null {
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    try {
      fs.accessSync(`${dir}/nft`, fs.constants.X_OK)
      return `${dir}/nft`
    } catch {
      // next
    }
  }
  return null
}

export interface DatabaseGuard {
  /** The start-up line: what is guarded, or a warning saying what is not and what to do. */
  readonly message: string
  /** Directories to hide in every run's mount namespace (the database's socket). */
  readonly hiddenDirs: readonly string[]
  /** Whether this server's TCP guard is installed (reconcile and guardAccount change it then). */
  readonly installed: boolean
  /**
   * Adds a run account (a task's own run_as) to the TCP guard before its run starts; a no-op
   * where there is none. The account stays pinned (reconcile keeps it) until a reconcile whose
   * caller saw no busy run after `pinned()`.
   */
  guardAccount(uid: number): Promise<void>
  /** The pin sequence now: a reconcile given it may drop the pins made up to here. */
  pinned(): number
  /**
   * Makes the set exactly the default run account, `uids` and the pinned accounts (those pinned
   * after `unpinUpTo`, or all when it is null): the accounts tasks name now. Never the server's own uid.
   */
  reconcile(uids: readonly number[], unpinUpTo: number | null): Promise<void>
  /** Removes this server's chain and set (at shutdown, once no run is left). */
  close(): Promise<void>
}

/**
 * Decided once at start. Never fails the server: where nftables is missing or refuses, the
 * message says that runs can reach the database over TCP and what to do about it.
 */
export async function setUpDatabaseGuard(o: {
  databaseUrl: string
  enabled: boolean
  /** Names this server's chain and set (guardOwner). */
  dataDir: string
  /** The server's uid: only root can switch runs to another account, and only their uid can be told apart. */
  serverUid: number
  /** The default run account; null = runs execute as the server itself. */
  runUid: number | null
  /** The run_as accounts of the existing tasks, asked for only when the guard is installed. */
  accounts?: () => Promise<readonly number[]>
  /** Whether runs get a mount namespace (where the socket directory can be hidden). */
  isolate: boolean
  nft?: NftRunner | null
  isOnThisHost?: (host: string) => Promise<boolean>
  exists?: (p: string) => boolean
  onError?: (error: unknown, context: string) => void
}): Promise<DatabaseGuard> {
  const none = (message: string, hiddenDirs: string[] = []): DatabaseGuard => ({
    message,
    hiddenDirs,
    installed: false,
    guardAccount: async () => undefined,
    pinned: () => 0,
    reconcile: async () => undefined,
    close: async () => undefined,
  })
  const endpoint = databaseEndpoint(o.databaseUrl)
  if (endpoint.kind !== 'postgres') return none('Database guard: not needed (SQLite: the database file is in the data directory, which runs do not see).')
  const owner = guardOwner(o.dataDir)
  const nftOf = (): NftRunner | null => (o.nft === undefined ? nftRunner() : o.nft)
  if (!o.enabled) {
    // What an earlier start of this server (or an earlier version) installed goes: off is off.
    const nft = o.serverUid === 0 ? nftOf() : null
    const failed = nft ? await nft(guardRemoval(endpoint.port, owner)) : null
    if (failed) o.onError?.(new Error(failed), 'the database guard could not remove its nftables chain')
    return none('WARNING: Database guard: off (TASKYARD_GUARD_DATABASE=0): runs can connect to the PostgreSQL database as any local process can.')
  }
  if (!(await (o.isOnThisHost ?? isOnThisHost)(endpoint.host))) {
    return none(
      `Database guard: not applied (PostgreSQL is on ${endpoint.host}, not this machine): runs can reach it as far as the network allows; use password auth and a firewall there.`,
    )
  }
  if (o.serverUid !== 0 || o.runUid === null) {
    return none(
      o.serverUid !== 0
        ? 'WARNING: Database guard: unavailable (the server is not root, so runs share its account): runs can connect to the PostgreSQL database as this server does. Use password authentication for it (not trust/peer).'
        : 'WARNING: Database guard: unavailable (runs execute as root, TASKYARD_RUN_AS): runs can connect to the PostgreSQL database.',
    )
  }
  const parts: string[] = []
  const sockets = socketDirsToHide(endpoint, o.exists)
  const hiddenDirs = o.isolate ? sockets.hide : []
  if (sockets.hide.length > 0) {
    parts.push(
      o.isolate
        ? `its socket directory ${sockets.hide.join(', ')} hidden from runs`
        : `WARNING: its socket directory ${sockets.hide.join(', ')} is NOT hidden (run isolation is off): runs can connect through it`,
    )
  }
  if (sockets.socketsInTmp.length > 0) {
    parts.push(
      o.isolate
        ? `the socket ${sockets.socketsInTmp.join(', ')} in /tmp out of runs' reach (each has a /tmp of its own)`
        : `WARNING: the socket ${sockets.socketsInTmp.join(', ')} in /tmp is NOT hidden (run isolation is off): set unix_socket_directories to /run/postgresql, or use password auth`,
    )
  }
  const nft = nftOf()
  const tcpWarning = (why: string): string =>
    `WARNING: TCP to port ${endpoint.port} is NOT refused (${why}): runs can connect to the database over TCP. Install nftables (apt-get install nftables) or use password authentication and a firewall`
  const runUid = o.runUid
  const serverUid = o.serverUid
  const wanted = (uids: Iterable<number>): Set<number> => new Set([runUid, ...uids].filter((uid) => Number.isInteger(uid) && uid > 0 && uid !== serverUid))
  let guarded = new Set<number>()
  let installed = false
  if (!nft) parts.unshift(tcpWarning('nft is not installed'))
  else {
    const start = wanted((await o.accounts?.()) ?? [])
    const failed = await nft(guardRuleset(endpoint.port, owner, [...start]))
    if (failed) parts.unshift(tcpWarning(`nft failed: ${failed.split('\n')[0]}`))
    else {
      installed = true
      guarded = start
      parts.unshift(
        `TCP to port ${endpoint.port} on this machine's addresses refused to the run accounts (nftables table inet ${NFT_TABLE}, chain ${guardNames(endpoint.port, owner).chain})`,
      )
    }
  }
  // nft calls one at a time, in order: a reconcile computed before an account was added cannot take it out again.
  let queue: Promise<void> = Promise.resolve()
  const serially = (step: () => Promise<void>): Promise<void> => (queue = queue.then(step, step))
  const pins = new Map<number, number>()
  let sequence = 0
  let closed = false
  const complain = (failed: string, context: string): void => o.onError?.(new Error(failed), context)
  return {
    message: `Database guard: ${parts.join('; ')}.`,
    hiddenDirs,
    get installed() {
      return installed && !closed
    },
    async guardAccount(uid) {
      if (!installed || !nft || !wanted([uid]).has(uid)) return
      pins.set(uid, ++sequence)
      if (guarded.has(uid)) return
      await serially(async () => {
        if (closed || guarded.has(uid)) return
        const failed = await nft(guardUidElement(endpoint.port, owner, uid))
        if (failed) complain(failed, `the database guard could not add uid ${uid}`)
        else guarded.add(uid)
      })
    },
    pinned: () => sequence,
    async reconcile(uids, unpinUpTo) {
      if (!installed || !nft) return
      await serially(async () => {
        if (closed) return
        for (const [uid, at] of pins) if (unpinUpTo !== null && at <= unpinUpTo) pins.delete(uid)
        const next = wanted([...uids, ...pins.keys()])
        if (next.size === guarded.size && [...next].every((uid) => guarded.has(uid))) return
        const failed = await nft(guardSetBatch(endpoint.port, owner, [...next]))
        if (failed) complain(failed, 'the database guard could not update its accounts')
        else guarded = next
      })
    },
    async close() {
      if (!installed || !nft) return
      await serially(async () => {
        if (closed) return
        closed = true
        const failed = await nft(guardRemoval(endpoint.port, owner))
        if (failed) complain(failed, 'the database guard could not remove its nftables chain')
      })
    },
  }
}
