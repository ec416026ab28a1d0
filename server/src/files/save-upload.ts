import { createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { insufficientStorage, isDiskFull, uploadFailed } from '../domain/errors.ts'
import { formatBytes } from './format-bytes.ts'

/**
 * Streams an upload to `destPath` (which must not exist yet) and returns its size in bytes.
 * The cap is checked while the bytes arrive, so an oversized upload never fills the disk.
 * Invariant: on any error, including the client going away, nothing is left at `destPath`.
 */
export async function saveUpload(stream: NodeJS.ReadableStream, destPath: string, maxBytes: number): Promise<number> {
  let received = 0
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length
      if (received > maxBytes) {
        callback(uploadFailed(`File is larger than the upload limit of ${formatBytes(maxBytes)}`))
        return
      }
      callback(null, chunk)
    },
  })
  try {
    // 'wx': never overwrite or follow something already at destPath.
    await pipeline(stream, counter, createWriteStream(destPath, { flags: 'wx', mode: 0o600 }))
    return received
  } catch (error) {
    // An EEXIST means the file is someone else's: leave it alone.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') await rm(destPath, { force: true })
    if (isDiskFull(error)) throw insufficientStorage(`saving the upload to ${path.dirname(destPath)}`)
    throw error
  }
}
