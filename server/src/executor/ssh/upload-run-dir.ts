/**
 * A run's files on a server (issue 12): the task's directory copied over SFTP into a directory of
 * that run alone, under `.taskyard-runs/` of the remote login directory, removed after the run.
 */
import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import type { SFTPWrapper } from 'ssh2'
import { shellQuote } from '../../lib/shell-quote.ts'
import type { RunMarkers } from './remote-scripts.ts'
import type { SshPool } from './ssh-pool.ts'

/** Relative to the remote login directory, where sshd starts commands and sftp-server its paths. */
export const remoteRunDir = (markers: RunMarkers): string => `.taskyard-runs/${markers.instance}-${markers.runId}`

const call = <T>(fn: (cb: (error: Error | null | undefined, value?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value as T))))

/** A fresh, private directory (a leftover of the same run id is replaced), then every file of `localDir` into it. */
export async function uploadRunDir(pool: SshPool, localDir: string, remoteDir: string): Promise<void> {
  const dir = shellQuote(remoteDir)
  const made = await pool.run(`umask 077; mkdir -p .taskyard-runs && rm -rf -- ${dir} && mkdir -- ${dir} && echo ok`)
  if (made.stdout.trim() !== 'ok') throw new Error(`cannot create ${remoteDir} on the server`)
  const sftp = await pool.sftp()
  try {
    await copyTree(sftp, localDir, remoteDir)
  } finally {
    sftp.end()
  }
}

async function copyTree(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name)
    const target = `${to}/${entry.name}`
    if (entry.isDirectory()) {
      await call<void>((cb) => sftp.mkdir(target, { mode: 0o700 }, cb))
      await copyTree(sftp, source, target)
    } else if (entry.isFile()) {
      const { mode } = await stat(source)
      await call<void>((cb) => sftp.fastPut(source, target, { mode: mode & 0o700 }, cb))
    }
    // Symlinks and special files are not copied: a task's files are regular files and folders.
  }
}

/** Removes the run's directory; never throws (a server gone away keeps it until the run id's next upload). */
export async function removeRunDir(pool: SshPool, remoteDir: string): Promise<void> {
  await pool.run(`rm -rf -- ${shellQuote(remoteDir)}`).catch(() => undefined)
}
