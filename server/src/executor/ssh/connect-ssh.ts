/**
 * One authenticated ssh2 connection to a target, with the host key checked before any
 * credential is sent: a pinned key must match exactly; without a pin the offered key is taken
 * and reported (trust on first use, pinned by the caller).
 */
import { createHash } from 'node:crypto'
import { connect as connectTcp, type Socket } from 'node:net'
import ssh2, { type ConnectConfig } from 'ssh2'

// ssh2 is CommonJS: its named exports exist only on the default export under ESM.
const { Client, utils } = ssh2
import type { SshTarget } from '../executor.ts'

/** OpenSSH's spelling of a host key's fingerprint: `SHA256:` and the unpadded base64 of its digest. */
export function fingerprintOf(hostKey: Buffer): string {
  return `SHA256:${createHash('sha256').update(hostKey).digest('base64').replace(/=+$/, '')}`
}

export class HostKeyChangedError extends Error {
  override readonly name = 'HostKeyChangedError'
  readonly offeredFingerprint: string
  constructor(pinned: string, offered: string) {
    super(`the host key changed: pinned ${pinned}, offered ${offered}`)
    this.offeredFingerprint = offered
  }
}

export interface SshConnection {
  client: ssh2.Client
  hostKeyFingerprint: string
  /** The login shell reads POSIX sh (remote-scripts.ts isPosixShell), when the executor asked. */
  posixLogin?: boolean
}

const CONNECT_TIMEOUT_MS = 10_000

/**
 * ssh2 hands the socket each packet in three writes (length, ciphertext, tag) and may send several
 * packets in a row (input and its end, a close): each was its own write syscall and TCP segment,
 * which sshd reads, and wakes for, one by one. Writes made in one
 * tick are corked and leave together at the end of it (one writev): nothing waits longer than the
 * code that made them runs, unlike Nagle's delay.
 */
export function coalesceWrites(socket: Socket): Socket {
  const write = socket.write
  let corked = false
  const uncork = (): void => {
    corked = false
    socket.uncork()
  }
  socket.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
    if (!corked) {
      corked = true
      socket.cork()
      process.nextTick(uncork)
    }
    return write.apply(this, args)
  } as Socket['write']
  return socket
}

/** Resolves once authenticated; rejects with HostKeyChangedError or an Error whose message says why. */
export function connectSsh(target: SshTarget): Promise<SshConnection> {
  return new Promise((resolve, reject) => {
    const client = new Client()
    // Our own socket, still connecting: ssh2 waits for its 'connect' and reports its errors (ECONNREFUSED…) as it does for its own.
    const sock = coalesceWrites(connectTcp({ host: target.host, port: target.port }))
    sock.setMaxListeners(0)
    let offered = ''
    let changed: HostKeyChangedError | null = null
    const credentials: ConnectConfig =
      target.credentials.kind === 'password'
        ? { password: target.credentials.password }
        : { privateKey: target.credentials.privateKey, ...(target.credentials.passphrase === null ? {} : { passphrase: target.credentials.passphrase }) }
    client
      .once('ready', () => resolve({ client, hostKeyFingerprint: offered }))
      .once('error', (error) => {
        client.end()
        reject(changed ?? new Error(describeFailure(error)))
      })
      .connect({
        sock,
        host: target.host,
        port: target.port,
        username: target.username,
        ...credentials,
        readyTimeout: CONNECT_TIMEOUT_MS,
        // Keepalives notice a silently dead peer; 3 unanswered at 15 s end the connection.
        keepaliveInterval: 15_000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          offered = fingerprintOf(key)
          if (target.hostKeyFingerprint !== null && target.hostKeyFingerprint !== offered) {
            changed = new HostKeyChangedError(target.hostKeyFingerprint, offered)
            return false
          }
          return true
        },
      })
  })
}

/** ssh2's errors, in words a user can act on. */
function describeFailure(error: Error & { level?: string; code?: string }): string {
  if (error.level === 'client-authentication') return 'authentication failed (wrong username, password or key)'
  if (error.level === 'client-timeout') return `no SSH handshake within ${CONNECT_TIMEOUT_MS / 1000} s`
  if (error.code === 'ECONNREFUSED') return 'connection refused'
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') return 'host name not found'
  if (error.code === 'EHOSTUNREACH' || error.code === 'ENETUNREACH') return 'host unreachable'
  if (error.code === 'ETIMEDOUT') return 'connection timed out'
  return error.message
}

/** Why ssh2 cannot use this key with this passphrase, or null. */
export function privateKeyProblem(privateKey: string, passphrase: string | null): string | null {
  const parsed = utils.parseKey(privateKey, passphrase ?? undefined)
  if (parsed instanceof Error) {
    return /encrypted|passphrase|decrypt/i.test(parsed.message)
      ? 'the private key is encrypted: the passphrase is missing or wrong'
      : `the private key cannot be read: ${parsed.message}`
  }
  return null
}
