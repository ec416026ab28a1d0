import fsp, { type FileHandle } from 'node:fs/promises'
import type { ChunkWriter, LogDownload } from './log-store.ts'

const CHUNK_BYTES = 64 * 1024

/** The whole log as it is now. A log that does not exist (yet) is empty. */
export async function openLogDownload(path: string): Promise<LogDownload> {
  let handle: FileHandle
  try {
    handle = await fsp.open(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { size: 0, copyTo: async () => {}, close: async () => {} }
    throw error
  }
  let size: number
  try {
    size = (await handle.stat()).size
  } catch (error) {
    await handle.close()
    throw error
  }
  let closed: Promise<void> | null = null
  const close = (): Promise<void> => (closed ??= handle.close())
  return {
    size,
    close,
    async copyTo(write) {
      try {
        await copy(handle, size, write)
      } finally {
        await close()
      }
    },
  }
}

/**
 * Two buffers are reused throughout (one being written while the next is read), so a download costs
 * the same 2 × 64 KiB whatever the log's size — not a fresh buffer per chunk left for the GC.
 */
async function copy(handle: FileHandle, size: number, write: ChunkWriter): Promise<void> {
  const buffers = [Buffer.allocUnsafeSlow(CHUNK_BYTES), Buffer.allocUnsafeSlow(CHUNK_BYTES)]
  let inFlight: Promise<void> = Promise.resolve()
  let position = 0
  for (let turn = 0; position < size; turn ^= 1) {
    const buffer = buffers[turn] as Buffer
    const length = Math.min(CHUNK_BYTES, size - position)
    let filled = 0
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled)
      if (bytesRead === 0) throw new Error(`the log shrank below ${size} bytes while it was sent`)
      filled += bytesRead
    }
    // The other buffer must be written before its turn comes again; this one was just filled.
    await inFlight
    position += length
    inFlight = write(buffer.subarray(0, length))
    // Awaited before the next write; until then a failure must not count as unhandled.
    inFlight.catch(() => {})
  }
  await inFlight
}
