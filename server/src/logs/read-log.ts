/**
 * A run log is a plain append-only file: the executor's outputPath, written by the run's processes
 * themselves. Offsets are byte offsets into it; every offset this module returns lies on a
 * character boundary, so a client may resume from it (SSE Last-Event-ID) without splitting one.
 */
import fsp, { type FileHandle } from 'node:fs/promises'
import { completeUtf8Length } from './utf8.ts'

export interface ReadLogOptions {
  /**
   * The file will not grow any more (the run has ended): a partial character at its very end is
   * decoded as U+FFFD instead of being left for a later read that will never come.
   */
  complete: boolean
  /** Reads at most this many bytes; undefined = to the end. 0 only reports the size. */
  maxBytes?: number
}

export interface LogSlice {
  text: string
  /** Where the next read starts: just after the last byte decoded into `text`. */
  nextOffset: number
  /** The file's size when it was read. */
  size: number
}

/** Smallest read that always makes progress: one whole character, however long. */
const MIN_READ_BYTES = 4

/** Non-fatal, so invalid bytes become U+FFFD; ignoreBOM keeps a leading BOM, as the file has it. */
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true })

/** Reads the log from a byte offset. A file that does not exist (yet) reads as empty. */
export async function readLog(path: string, fromOffset: number, options: ReadLogOptions): Promise<LogSlice> {
  assertOffset(fromOffset)
  let handle: FileHandle
  try {
    handle = await fsp.open(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', nextOffset: fromOffset, size: 0 }
    throw error
  }
  try {
    return await readLogFrom(handle, fromOffset, options)
  } finally {
    await handle.close()
  }
}

/**
 * The last `maxBytes` of the log, with how many bytes before them were left out: one open, one
 * stat. (Starting mid-file can begin inside a character, which then decodes as U+FFFD.)
 */
export async function readLogTail(path: string, maxBytes: number, options: { complete: boolean }): Promise<{ text: string; omittedBytes: number }> {
  let handle: FileHandle
  try {
    handle = await fsp.open(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', omittedBytes: 0 }
    throw error
  }
  try {
    const { size } = await handle.stat()
    const from = Math.max(0, size - maxBytes)
    const { text } = await readLogFrom(handle, from, { complete: options.complete, maxBytes })
    return { text, omittedBytes: from }
  } finally {
    await handle.close()
  }
}

/** readLog on a file the caller keeps open, for readers that come back many times (followLog). */
export async function readLogFrom(handle: FileHandle, fromOffset: number, options: ReadLogOptions): Promise<LogSlice> {
  assertOffset(fromOffset)
  const { size } = await handle.stat()
  const available = Math.max(0, size - fromOffset)
  const { maxBytes } = options
  const limit = maxBytes === undefined ? available : maxBytes <= 0 ? 0 : Math.max(maxBytes, MIN_READ_BYTES)
  const length = Math.min(available, limit)
  if (length === 0) return { text: '', nextOffset: fromOffset, size }
  const buffer = Buffer.allocUnsafe(length)
  let filled = 0
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, fromOffset + filled)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  const bytes = buffer.subarray(0, filled)
  // Only the true end of a finished log is final; anywhere else the next bytes exist or may come.
  const atFinalEnd = options.complete && fromOffset + filled >= size
  const usable = atFinalEnd ? filled : completeUtf8Length(bytes)
  return { text: decoder.decode(bytes.subarray(0, usable)), nextOffset: fromOffset + usable, size }
}

function assertOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`invalid log offset ${offset}`)
}
