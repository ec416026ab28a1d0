/**
 * A build's log: what venv, conda and pip print, as they print it, behind a line saying each
 * command. Appended to a file (O_APPEND), so a follower reads it as it grows, like a run log.
 */
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'

export interface BuildLog {
  write(text: string): void
  /** A command about to run, as one shell-like line (arguments quoted where needed). */
  command(file: string, args: readonly string[]): void
  close(): Promise<void>
}

const quote = (arg: string): string => (/^[A-Za-z0-9_./=:@+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)

/** Writes nothing: a build without a log file. */
export const NO_BUILD_LOG: BuildLog = { write: () => undefined, command: () => undefined, close: async () => undefined }

export async function openBuildLog(file: string | null): Promise<BuildLog> {
  if (file === null) return NO_BUILD_LOG
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
  const stream: WriteStream = createWriteStream(file, { flags: 'a', mode: 0o600 })
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve())
    stream.once('error', reject)
  })
  // A failed write (a full disk) must not end the server: the build's outcome is still recorded.
  stream.on('error', () => undefined)
  return {
    write: (text) => void stream.write(text),
    command: (file, args) => void stream.write(`$ ${[file, ...args].map(quote).join(' ')}\n`),
    close: () => new Promise((resolve) => stream.end(resolve)),
  }
}
