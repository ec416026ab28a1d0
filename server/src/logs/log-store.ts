/**
 * The log store's contract: where a run's output is written and how it is read back. Services and
 * the worker see only this file; main.ts picks the implementation (today file-log-store.ts, one
 * append-only file per run under the data directory).
 *
 * Offsets are byte offsets into the run's log. Every offset a method returns lies on a character
 * boundary, so a client may resume from it (SSE Last-Event-ID) without splitting one. A log that
 * nothing has written yet reads as empty everywhere: size 0, no text.
 */

/**
 * What the executor makes the run's processes write into. `file`: a local file, opened with
 * O_APPEND and handed to the process as stdout and stderr (RunSpec.outputPath). Other kinds (a
 * remote worker's upload) join this union when an executor can write them.
 */
export type LogAppendTarget = { kind: 'file'; path: string }

export interface ReadLogOptions {
  /**
   * The log will not grow any more (the run has ended): a partial character at its very end is
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
  /** The log's size when it was read. */
  size: number
}

export interface LogRangeRequest {
  /** Where to start; undefined = the last `limit` bytes. */
  offset?: number
  limit: number
  complete: boolean
}

export interface LogRange {
  text: string
  /** Where `text` starts: the offset asked for, moved forward past the rest of a character it fell inside. */
  offset: number
  /** Just after the last byte decoded into `text`: where the next range starts. */
  nextOffset: number
  /** The log's size when it was read. */
  size: number
  /** When the log last changed (epoch ms); null when nothing was written yet. */
  modifiedAt: number | null
}

export interface LogTail {
  text: string
  /** Bytes before `text` that were left out. */
  omittedBytes: number
}

export interface LogChunk {
  text: string
  /** The byte offset just after this chunk: where a resumed follow starts. */
  offset: number
  /** The last chunk: the run has ended and everything it wrote has been delivered. */
  complete: boolean
}

export interface FollowOptions {
  /** Ends the iteration (normally, without an error) and releases what the follower holds. */
  signal?: AbortSignal
  /** Upper bound of one chunk, hence of the memory one follower holds. */
  maxChunkBytes?: number
}

/** Writes one chunk; resolves once the chunk has been handed on and its buffer may be reused. */
export type ChunkWriter = (chunk: Uint8Array) => Promise<void>

export interface LogDownload {
  /** The log's size when it was opened: exactly this many bytes are sent, even if it grows. */
  size: number
  /** Hands the bytes to `write` in order, in bounded memory whatever the size, and closes the log however it ends. */
  copyTo(write: ChunkWriter): Promise<void>
  /** Closes the log without sending it (when the download is abandoned before copyTo). */
  close(): Promise<void>
}

export interface LogStore {
  /** Where the run's output goes; the same target for the same run, every time. Creates nothing. */
  appendTarget(runId: number): LogAppendTarget
  /** The log from a byte offset (at most `maxBytes` of it); never ends inside a character unless complete. */
  read(runId: number, fromOffset: number, options: ReadLogOptions): Promise<LogSlice>
  /**
   * At most `limit` bytes from `offset`, or without an offset the last `limit` bytes. Neither end
   * splits a character. An offset past the end reads as empty there (the caller decides whether
   * that is an error).
   */
  readRange(runId: number, range: LogRangeRequest): Promise<LogRange>
  /** The last `maxBytes` (or a few less: it never starts inside a character). */
  readTail(runId: number, maxBytes: number, options: { complete: boolean }): Promise<LogTail>
  /**
   * What is there from `fromOffset`, then what is appended, until `finished` settles (resolved or
   * rejected, the run is over either way); then what remains, in a last chunk marked complete
   * (its text may be empty), and the iteration ends. Pull-based: a slow consumer costs one chunk.
   * Holds nothing that keeps the process alive.
   */
  follow(runId: number, fromOffset: number, finished: Promise<void>, options?: FollowOptions): AsyncGenerator<LogChunk, void, undefined>
  /** The whole log as it is now, to stream out. */
  openDownload(runId: number): Promise<LogDownload>
  /** Bytes written so far; 0 when nothing was. */
  size(runId: number): Promise<number>
  /** Removes the log for good (its stream files too); removing one that does not exist (any more) is not an error. */
  remove(runId: number): Promise<void>
  /**
   * Where an executor that receives stdout and stderr apart (SSH) keeps each as well as the
   * combined log (spec 001's `output` / `error`). Creates nothing.
   */
  streamTargets(runId: number): { stdout: string; stderr: string }
  /** The last `maxBytes` of one stream file; empty when the run kept none. */
  readStreamTail(runId: number, stream: 'stdout' | 'stderr', maxBytes: number): Promise<LogTail>
}
