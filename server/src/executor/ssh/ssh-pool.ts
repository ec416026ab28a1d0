/**
 * Connections to one server, reused across runs (issue 12): a channel goes on the least busy open
 * connection with room (OpenSSH allows 10 sessions a connection by default), else on a new one.
 * A connection that drops is forgotten; the next exec opens another.
 */
import type { ClientChannel, SFTPWrapper } from 'ssh2'
import type { SshConnection } from './connect-ssh.ts'
import { ControlShell } from './control-shell.ts'

interface Pooled {
  connection: SshConnection
  channels: number
  open: boolean
}

/** Long-lived control shells per pool, at most (each holds one session). */
const CONTROL_SHELLS = 3

export interface ExecResult {
  stdout: string
  code: number | null
}

export class SshPool {
  readonly #connect: () => Promise<SshConnection>
  readonly #onConnected: () => void
  readonly #maxChannels: number
  #pooled: Pooled[] = []
  #connecting: Promise<Pooled> | null = null
  #closed = false
  #shells: ControlShell[] = []

  constructor(connect: () => Promise<SshConnection>, onConnected: () => void, maxChannels = 8) {
    this.#connect = connect
    this.#onConnected = onConnected
    this.#maxChannels = maxChannels
  }

  /** Opens an exec channel for `command` (or the command made for the connection it goes on). */
  async exec(command: string | ((connection: SshConnection) => string)): Promise<ClientChannel> {
    if (this.#closed) throw new Error('the executor is closed')
    const pooled = await this.#withRoom()
    pooled.channels += 1
    try {
      const text = typeof command === 'string' ? command : command(pooled.connection)
      const channel = await new Promise<ClientChannel>((resolve, reject) =>
        pooled.connection.client.exec(text, (error, stream) => (error ? reject(error) : resolve(stream))),
      )
      channel.once('close', () => (pooled.channels -= 1))
      return channel
    } catch (error) {
      pooled.channels -= 1
      // The server refused another session on this connection: count it full and use another.
      if (/open failed/i.test((error as Error).message)) {
        pooled.channels = this.#maxChannels
        return this.exec(command)
      }
      throw error
    }
  }

  /** An SFTP session on a pooled connection; it holds a channel until `end()`. */
  async sftp(): Promise<SFTPWrapper> {
    if (this.#closed) throw new Error('the executor is closed')
    const pooled = await this.#withRoom()
    pooled.channels += 1
    try {
      const sftp = await new Promise<SFTPWrapper>((resolve, reject) => pooled.connection.client.sftp((error, s) => (error ? reject(error) : resolve(s))))
      sftp.once('close', () => (pooled.channels -= 1))
      return sftp
    } catch (error) {
      pooled.channels -= 1
      throw error
    }
  }

  /** Runs a control command and collects its stdout. */
  async run(command: string): Promise<ExecResult> {
    const channel = await this.exec(command)
    return new Promise((resolve) => {
      let stdout = ''
      let code: number | null = null
      channel.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      channel.stderr.resume()
      channel.once('exit', (exitCode: number | null) => (code = exitCode))
      channel.once('close', () => resolve({ stdout, code }))
    })
  }

  /**
   * Runs a short control command on the pool's long-lived shell (control-shell.ts): the same answer
   * as `run`, without opening a session for it. Commands that may wait long go through `run`.
   */
  async control(command: string): Promise<ExecResult> {
    if (this.#closed) throw new Error('the executor is closed')
    this.#shells = this.#shells.filter((shell) => shell.open)
    // An idle shell, else a new one (up to CONTROL_SHELLS), else the least busy: runs ending together
    // are checked side by side, not one behind the other.
    let shell = this.#shells.find((each) => each.pending === 0)
    if (!shell && this.#shells.length < CONTROL_SHELLS) {
      shell = new ControlShell(this.exec('exec /bin/sh'))
      this.#shells.push(shell)
    }
    shell ??= this.#shells.reduce((a, b) => (b.pending < a.pending ? b : a))
    return shell.run(command)
  }

  get connectionCount(): number {
    return this.#pooled.filter((p) => p.open).length
  }

  /** Ends every connection; channels on them close. */
  close(): void {
    this.#closed = true
    for (const shell of this.#shells.splice(0)) shell.close()
    for (const pooled of this.#pooled) pooled.connection.client.end()
    this.#pooled = []
  }

  async #withRoom(): Promise<Pooled> {
    const candidates = this.#pooled.filter((p) => p.open && p.channels < this.#maxChannels).sort((a, b) => a.channels - b.channels)
    if (candidates[0]) return candidates[0]
    // One handshake at a time: a burst of runs shares the connection it brings.
    if (this.#connecting) {
      await this.#connecting.catch(() => undefined)
      return this.#withRoom()
    }
    this.#connecting = this.#connect().then((connection) => {
      const pooled: Pooled = { connection, channels: 0, open: true }
      connection.client.once('close', () => {
        pooled.open = false
        this.#pooled = this.#pooled.filter((p) => p !== pooled)
      })
      connection.client.on('error', () => undefined) // reported through the channels' close
      if (this.#closed) connection.client.end()
      else this.#pooled.push(pooled)
      return pooled
    })
    try {
      const pooled = await this.#connecting
      this.#onConnected()
      return pooled
    } finally {
      this.#connecting = null
    }
  }
}
