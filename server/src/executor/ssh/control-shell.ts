/**
 * A long-lived `/bin/sh` on a pooled connection that runs short control commands (a memory
 * sample, a signal, the check for leftovers) one after another, each answered by a line that
 * carries a token of this shell alone: no SSH session is opened, and no login shell started, per
 * command. A command must not read stdin (it gets /dev/null) and should not wait long: the
 * commands behind it wait too. If the channel goes, every command waiting on it is rejected.
 */
import { randomBytes } from 'node:crypto'
import type { ClientChannel } from 'ssh2'
import type { ExecResult } from './ssh-pool.ts'

interface Pending {
  command: string
  resolve(result: ExecResult): void
  reject(error: Error): void
}

export class ControlShell {
  readonly #token = `taskyard:done:${randomBytes(8).toString('hex')}`
  readonly #queue: Pending[] = []
  #channel: ClientChannel | null = null
  #current: Pending | null = null
  #buffer = ''
  #open = true

  constructor(channel: Promise<ClientChannel>) {
    channel.then(
      (opened) => {
        if (!this.#open) return void opened.close()
        this.#channel = opened
        opened.on('error', () => undefined)
        opened.stderr.resume()
        opened.on('data', (chunk: Buffer) => this.#data(chunk.toString('latin1')))
        opened.once('close', () => this.#fail(new Error('the control channel to the server closed')))
        this.#next()
      },
      (error: Error) => this.#fail(error),
    )
  }

  /** Commands given and not answered yet. */
  get pending(): number {
    return this.#queue.length + (this.#current ? 1 : 0)
  }

  /** False once the channel closed or failed: a new shell is needed. */
  get open(): boolean {
    return this.#open
  }

  run(command: string): Promise<ExecResult> {
    if (!this.#open) return Promise.reject(new Error('the control channel to the server closed'))
    return new Promise((resolve, reject) => {
      this.#queue.push({ command, resolve, reject })
      this.#next()
    })
  }

  close(): void {
    this.#channel?.close()
    this.#fail(new Error('the control channel to the server closed'))
  }

  #next(): void {
    if (this.#current !== null || this.#channel === null || !this.#open) return
    const next = this.#queue.shift()
    if (!next) return
    this.#current = next
    // A subshell: `exit` in a command ends it, not this shell. The newline before the token ends
    // a last line that had none; it is not part of the command's output.
    this.#channel.write(`( ${next.command}\n) </dev/null 2>/dev/null; printf '\\n%s %s\\n' '${this.#token}' "$?"\n`)
  }

  #data(text: string): void {
    this.#buffer += text
    for (;;) {
      const at = this.#buffer.indexOf(`\n${this.#token} `)
      if (at < 0) return
      const end = this.#buffer.indexOf('\n', at + 1)
      if (end < 0) return
      const code = Number(this.#buffer.slice(at + this.#token.length + 2, end))
      const stdout = this.#buffer.slice(0, at)
      this.#buffer = this.#buffer.slice(end + 1)
      const done = this.#current
      this.#current = null
      done?.resolve({ stdout, code: Number.isFinite(code) ? code : null })
      this.#next()
    }
  }

  #fail(error: Error): void {
    if (!this.#open) return
    this.#open = false
    const waiting = [...(this.#current ? [this.#current] : []), ...this.#queue.splice(0)]
    this.#current = null
    for (const pending of waiting) pending.reject(error)
  }
}
