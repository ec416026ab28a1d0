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
 *   127.0.0.1). The server itself is root and is not matched.
 * - Unix socket: its directory is hidden in the run's mount namespace (build-run-spec's hidden list).
 *
 * Only the database: the server's own HTTP port needs a token, and other services of the machine
 * are the administrator's to firewall; refusing more would break tasks that legitimately talk to them.
 */
import { spawn } from 'node:child_process'
import { lookup } from 'node:dns/promises'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'

/** Where the server's database lives, as far as guarding it goes. */
export type DatabaseEndpoint = { kind: 'sqlite' } | { kind: 'postgres'; host: string; port: number; socketDir: string | null }

const PG_DEFAULT_PORT = 5432
/** Where Debian, RHEL and upstream builds put PostgreSQL's socket (upstream's is /tmp). */
export const PG_DEFAULT_SOCKET_DIRS = ['/run/postgresql', '/var/run/postgresql'] as const

/**
 * The host, port and socket directory node-postgres connects to for this URL: the `host` query
 * parameter wins over the authority (libpq's rule); a host starting with '/' is a socket directory.
 * No host at all is node-postgres's default, localhost.
 */
export function databaseEndpoint(databaseUrl: string): DatabaseEndpoint {
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) return { kind: 'sqlite' }
  // Parsed as a non-special scheme: an empty authority stays empty and a percent-encoded socket
  // path in it (postgres://%2Frun%2Fpostgresql/db) is kept as written, for decodeURIComponent.
  const url = new URL(databaseUrl)
  const queryHost = url.searchParams.get('host')
  const authorityHost = decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1')
  const host = queryHost || authorityHost || 'localhost'
  const portText = url.searchParams.get('port') || url.port
  const port = portText ? Number(portText) : PG_DEFAULT_PORT
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
 * A socket in /tmp (upstream's default) is not among them: runs need /tmp, and the helper covers
 * directories only; `socketsInTmp` names them so start-up can say so.
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

/** One chain and one uid set per database port: servers of several databases on one machine keep each other's. */
export function guardNames(port: number): { chain: string; set: string } {
  return { chain: `database_${port}`, set: `database_${port}_uids` }
}

/**
 * The nft batch (`nft -f -`) that installs the guard for `port` and these uids, atomically: the
 * whole batch applies or none of it. The chain is flushed and its one rule added again, so a
 * restart replaces rather than duplicates it; uids are only added (another server on the same
 * database may have put its own run account there), never removed.
 */
export function guardRuleset(port: number, uids: readonly number[]): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a TCP port: ${port}`)
  for (const uid of uids) if (!Number.isInteger(uid) || uid <= 0) throw new Error(`not a run account's uid: ${uid}`)
  const { chain, set } = guardNames(port)
  const lines = [
    `add table inet ${NFT_TABLE}`,
    `add set inet ${NFT_TABLE} ${set} { typeof meta skuid; }`,
    `add chain inet ${NFT_TABLE} ${chain} { type filter hook output priority 0; policy accept; }`,
    `flush chain inet ${NFT_TABLE} ${chain}`,
    `add rule inet ${NFT_TABLE} ${chain} meta skuid @${set} tcp dport ${port} fib daddr type local reject with tcp reset`,
  ]
  if (uids.length > 0) lines.push(`add element inet ${NFT_TABLE} ${set} { ${uids.join(', ')} }`)
  return lines.join('\n') + '\n'
}

/** The nft batch that adds one more run account to an installed guard. */
export function guardUidElement(port: number, uid: number): string {
  if (!Number.isInteger(uid) || uid <= 0) throw new Error(`not a run account's uid: ${uid}`)
  return `add element inet ${NFT_TABLE} ${guardNames(port).set} { ${uid} }\n`
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
  /** Adds a run account (a task's own run_as) to the TCP guard; a no-op where there is none. */
  guardAccount(uid: number): Promise<void>
}

const NO_GUARD_ACCOUNT = async (): Promise<void> => undefined

/**
 * Decided once at start. Never fails the server: where nftables is missing or refuses, the
 * message says that runs can reach the database over TCP and what to do about it.
 */
export async function setUpDatabaseGuard(o: {
  databaseUrl: string
  enabled: boolean
  /** The server's uid: only root can switch runs to another account, and only their uid can be told apart. */
  serverUid: number
  /** The default run account; null = runs execute as the server itself. */
  runUid: number | null
  /** Whether runs get a mount namespace (where the socket directory can be hidden). */
  isolate: boolean
  nft?: NftRunner | null
  isOnThisHost?: (host: string) => Promise<boolean>
  exists?: (p: string) => boolean
  onError?: (error: unknown, context: string) => void
}): Promise<DatabaseGuard> {
  const none = (message: string, hiddenDirs: string[] = []): DatabaseGuard => ({ message, hiddenDirs, guardAccount: NO_GUARD_ACCOUNT })
  const endpoint = databaseEndpoint(o.databaseUrl)
  if (endpoint.kind !== 'postgres') return none('Database guard: not needed (SQLite: the database file is in the data directory, which runs do not see).')
  if (!o.enabled) return none('WARNING: Database guard: off (TASKYARD_GUARD_DATABASE=0): runs can connect to the PostgreSQL database as any local process can.')
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
      `WARNING: the socket ${sockets.socketsInTmp.join(', ')} in /tmp is NOT hidden (runs need /tmp): set unix_socket_directories to /run/postgresql, or use password auth`,
    )
  }
  const nft = o.nft === undefined ? nftRunner() : o.nft
  const tcpWarning = (why: string): string =>
    `WARNING: TCP to port ${endpoint.port} is NOT refused (${why}): runs can connect to the database over TCP. Install nftables (apt-get install nftables) or use password authentication and a firewall`
  const runUid = o.runUid
  let installed = false
  if (!nft) parts.unshift(tcpWarning('nft is not installed'))
  else {
    const failed = await nft(guardRuleset(endpoint.port, [runUid]))
    if (failed) parts.unshift(tcpWarning(`nft failed: ${failed.split('\n')[0]}`))
    else {
      installed = true
      parts.unshift(`TCP to port ${endpoint.port} on this machine's addresses refused to the run account (nftables table inet ${NFT_TABLE})`)
    }
  }
  const guarded = new Set<number>([runUid])
  return {
    message: `Database guard: ${parts.join('; ')}.`,
    hiddenDirs,
    async guardAccount(uid) {
      if (!installed || !nft || uid === 0 || guarded.has(uid)) return
      guarded.add(uid)
      const failed = await nft(guardUidElement(endpoint.port, uid))
      if (failed) o.onError?.(new Error(failed), `the database guard could not add uid ${uid}`)
    },
  }
}
