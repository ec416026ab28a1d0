import fsp from 'node:fs/promises'
import { Readable } from 'node:stream'

export interface LogDownload {
  /** The file's size when it was opened: exactly this many bytes are streamed, even if it grows. */
  size: number
  /** The bytes, read in small chunks as the consumer takes them; closes the file when it ends or is destroyed. */
  stream: Readable
}

/** Chunk size of a download: what one download holds in memory at a time (plus socket buffers). */
const DOWNLOAD_CHUNK_BYTES = 64 * 1024

/** The whole log as it is now, as a stream. A log that does not exist (yet) is empty. */
export async function openLogDownload(path: string): Promise<LogDownload> {
  let handle: fsp.FileHandle
  try {
    handle = await fsp.open(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { size: 0, stream: Readable.from([]) }
    throw error
  }
  try {
    const { size } = await handle.stat()
    if (size === 0) {
      await handle.close()
      return { size: 0, stream: Readable.from([]) }
    }
    // `end` is inclusive. A running log keeps growing; Content-Length promised `size` bytes.
    return { size, stream: handle.createReadStream({ start: 0, end: size - 1, highWaterMark: DOWNLOAD_CHUNK_BYTES, autoClose: true }) }
  } catch (error) {
    await handle.close()
    throw error
  }
}
