/**
 * A run log is a plain append-only file: the executor's outputPath, written by the run's processes
 * themselves. Offsets are byte offsets into it; every offset this module returns lies on a
 * character boundary, so a client may resume from it (SSE Last-Event-ID) without splitting one.
 */
import fsp, { type FileHandle } from 'node:fs/promises'
import type { LogRange, LogRangeRequest, LogSlice, LogTail, ReadLogOptions } from './log-store.ts'
import { completeUtf8Length, continuationBytesToSkip, utf8SequenceLength } from './utf8.ts'

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
 * The last `maxBytes` of the log (or a few bytes less: it never starts inside a character), with
 * how many bytes before them were left out: one open, one stat.
 */
export async function readLogTail(path: string, maxBytes: number, options: { complete: boolean }): Promise<LogTail> {
  let handle: FileHandle
  try {
    handle = await fsp.open(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', omittedBytes: 0 }
    throw error
  }
  try {
    const { size } = await handle.stat()
    const from = await characterStartFrom(handle, Math.max(0, size - maxBytes))
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
  const limit = maxBytes === undefined ? available : Math.max(0, maxBytes)
  let length = Math.min(available, limit)
  if (length === 0) return { text: '', nextOffset: fromOffset, size }
  let bytes = await readBytes(handle, fromOffset, length)
  // Only the true end of a finished log is final; anywhere else the next bytes exist or may come.
  const atFinalEnd = (filled: number): boolean => options.complete && fromOffset + filled >= size
  let usable = atFinalEnd(bytes.length) ? bytes.length : completeUtf8Length(bytes)
  if (usable === 0 && length < Math.min(available, MIN_READ_BYTES)) {
    // The limit fell inside the first character: read that one character whole rather than nothing.
    length = Math.min(available, MIN_READ_BYTES)
    bytes = await readBytes(handle, fromOffset, length)
    bytes = bytes.subarray(0, Math.min(bytes.length, utf8SequenceLength(bytes[0] as number)))
    usable = atFinalEnd(bytes.length) ? bytes.length : completeUtf8Length(bytes)
  }
  return { text: decoder.decode(bytes.subarray(0, usable)), nextOffset: fromOffset + usable, size }
}

async function readBytes(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length)
  let filled = 0
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  return buffer.subarray(0, filled)
}

/**
 * At most `limit` bytes of the log from `offset`, or, without an offset, its last `limit` bytes.
 * Neither end splits a character. An offset past the end reads as empty there (the caller decides
 * whether that is an error). One open, one stat.
 */
export async function readLogRange(path: string, range: LogRangeRequest): Promise<LogRange> {
  if (range.offset !== undefined) assertOffset(range.offset)
  let handle: FileHandle
  try {
    handle = await fsp.open(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      const at = range.offset ?? 0
      return { text: '', offset: at, nextOffset: at, size: 0, modifiedAt: null }
    }
    throw error
  }
  try {
    const stat = await handle.stat()
    const requested = range.offset ?? Math.max(0, stat.size - range.limit)
    if (requested >= stat.size) return { text: '', offset: requested, nextOffset: requested, size: stat.size, modifiedAt: Math.round(stat.mtimeMs) }
    const offset = await characterStartFrom(handle, requested)
    const slice = await readLogFrom(handle, offset, { complete: range.complete, maxBytes: Math.max(0, range.limit - (offset - requested)) })
    return { text: slice.text, offset, nextOffset: slice.nextOffset, size: slice.size, modifiedAt: Math.round(stat.mtimeMs) }
  } finally {
    await handle.close()
  }
}

/**
 * `offset`, or, when it falls inside a character (after its lead byte), the offset just after that
 * character: a range then starts on a whole character instead of a U+FFFD. Bytes that no lead
 * byte before `offset` can claim are stray and stay, so nothing is hidden.
 */
async function characterStartFrom(handle: FileHandle, offset: number): Promise<number> {
  if (offset === 0) return 0
  const before = Math.min(offset, 3)
  const window = await readBytes(handle, offset - before, before + 3)
  return offset + continuationBytesToSkip(window, before)
}

function assertOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`invalid log offset ${offset}`)
}
