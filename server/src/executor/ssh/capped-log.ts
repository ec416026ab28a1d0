import fs from 'node:fs'
import { truncationMarker } from '../local/local-run.ts'

/**
 * An append-only log file with an optional cap: past it one marker line is written (the same as
 * the local executor's) and the rest is dropped. Writes keep their order; close() resolves once
 * everything is on disk.
 */
export class CappedLog {
  readonly #stream: fs.WriteStream
  readonly #cap: number | null
  #written = 0
  truncated = false

  /** Throws (synchronously) when the file cannot be opened, with fs's own message. */
  constructor(file: string, cap: number | null) {
    const fd = fs.openSync(file, 'a', 0o600)
    this.#stream = fs.createWriteStream(file, { fd, flags: 'a' })
    this.#stream.on('error', () => undefined) // a failing disk must not take the server down
    this.#cap = cap
  }

  write(chunk: Buffer): void {
    if (this.#cap === null) {
      this.#stream.write(chunk)
      return
    }
    if (this.truncated) return
    const room = this.#cap - this.#written
    if (chunk.length <= room) {
      this.#written += chunk.length
      this.#stream.write(chunk)
      return
    }
    if (room > 0) this.#stream.write(chunk.subarray(0, room))
    this.#written = this.#cap
    this.truncated = true
    this.#stream.write(truncationMarker(this.#cap))
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#stream.end(() => resolve()))
  }
}
