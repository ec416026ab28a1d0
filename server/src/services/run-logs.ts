import { TaskyardError } from '../domain/errors.ts'
import { isActive, type Run } from '../domain/run.ts'
import type { ChunkWriter } from '../logs/log-store.ts'
import type { ServiceDeps } from './deps.ts'

const executionNotFound = (): TaskyardError => new TaskyardError('execution_not_found', 'Task execution with ID not found')

/** The run, if it exists and belongs to the task; spec 000's 404 otherwise. */
export async function findRunOfTask(deps: ServiceDeps, taskId: number, runId: number): Promise<Run> {
  const run = Number.isSafeInteger(runId) ? await deps.store.runs.findById(runId) : undefined
  if (!run || run.taskId !== taskId) throw executionNotFound()
  return run
}

/**
 * Without `offset`, the JSON logs answer is the log's last LOG_TAIL_BYTES (the whole log when it is
 * smaller, as spec 000 shows it); pages of the rest are asked for with offset/limit, and the whole
 * file with a download. A bound, so no log size can make one answer cost more than this.
 */
export const LOG_TAIL_BYTES = 1024 * 1024
/** The largest `limit` one JSON answer serves; larger reads are what the download is for. */
export const MAX_LOG_RANGE_BYTES = 8 * 1024 * 1024

export interface RunLogRangeInput {
  /** Byte offset to start at; undefined: the tail. */
  offset?: number
  /** Bytes to read at most; undefined: LOG_TAIL_BYTES. */
  limit?: number
}

export interface RunLog {
  run: Run
  text: string
  /** Byte offset where `text` starts (0: from the beginning). */
  offset: number
  /** Byte offset just after `text`: where the next page starts, or where to poll from. */
  nextOffset: number
  /** The log's size in bytes when it was read. */
  size: number
  complete: boolean
  /** When the log last grew (its file's mtime), or the run's end. */
  lastUpdate: number | null
}

const invalidRange = (error: string): TaskyardError => new TaskyardError('invalid_input', 'Invalid log range', { error })

function assertRange(input: RunLogRangeInput): void {
  if (input.offset !== undefined && (!Number.isSafeInteger(input.offset) || input.offset < 0)) {
    throw invalidRange('offset must be a whole number of bytes, 0 or more')
  }
  if (input.limit !== undefined && (!Number.isSafeInteger(input.limit) || input.limit < 1 || input.limit > MAX_LOG_RANGE_BYTES)) {
    throw invalidRange(`limit must be a whole number of bytes from 1 to ${MAX_LOG_RANGE_BYTES} (download=1 serves the whole log)`)
  }
}

/** spec 000 logs without stream: a range of the log (by default its tail), never the whole of a huge one. */
export async function readRunLog(deps: ServiceDeps, taskId: number, runId: number, input: RunLogRangeInput = {}): Promise<RunLog> {
  assertRange(input)
  const run = await findRunOfTask(deps, taskId, runId)
  const complete = !isActive(run.status)
  let range
  try {
    range = await deps.logs.readRange(run.id, {
      ...(input.offset !== undefined ? { offset: input.offset } : {}),
      limit: input.limit ?? LOG_TAIL_BYTES,
      complete,
    })
  } catch (e) {
    throw new TaskyardError('logs_failed', 'Failed to retrieve logs', { error: e instanceof Error ? e.message : String(e) })
  }
  if (input.offset !== undefined && input.offset > range.size) {
    throw invalidRange(`offset ${input.offset} is past the end of the log (${range.size} bytes)`)
  }
  return {
    run,
    text: range.text,
    offset: range.offset,
    nextOffset: range.nextOffset,
    size: range.size,
    complete,
    lastUpdate: range.modifiedAt ?? run.endedAt ?? run.startedAt,
  }
}

export interface RunLogDownload {
  run: Run
  /** What a browser saves it as: the task's name and the run id. */
  fileName: string
  size: number
  /** Sends the bytes through `write`, which resolves when a chunk may be reused; closes the file. */
  copyTo(write: ChunkWriter): Promise<void>
  close(): Promise<void>
}

/** The whole log as a stream, in bounded memory whatever its size. */
export async function downloadRunLog(deps: ServiceDeps, taskId: number, runId: number): Promise<RunLogDownload> {
  const run = await findRunOfTask(deps, taskId, runId)
  const task = await deps.store.tasks.findById(taskId)
  const fileName = `${task?.name ?? `task-${taskId}`}-execution-${run.id}.log`
  try {
    return { run, fileName, ...(await deps.logs.openDownload(run.id)) }
  } catch (e) {
    throw new TaskyardError('logs_failed', 'Failed to retrieve logs', { error: e instanceof Error ? e.message : String(e) })
  }
}

/** Resolves when the run is over, whether that happened already or happens later. */
function runFinished(deps: ServiceDeps, runId: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const off = deps.bus.on('run:finished', (e) => {
      if (e.runId === runId) done()
    })
    const onAbort = (): void => done()
    signal.addEventListener('abort', onAbort, { once: true })
    function done(): void {
      off()
      signal.removeEventListener('abort', onAbort)
      resolve()
    }
    // Subscribed first, then checked: an end between the two cannot be missed.
    deps.store.runs.findById(runId).then(
      (run) => {
        if (!run || !isActive(run.status)) done()
      },
      () => done(),
    )
  })
}

/**
 * spec 000 logs with stream=true: everything from `fromOffset` (0, or the byte offset a client
 * resumes from with Last-Event-ID), then what is new, ending with a chunk marked complete.
 */
export async function* streamRunLog(
  deps: ServiceDeps,
  run: Run,
  fromOffset: number,
  signal: AbortSignal,
): AsyncGenerator<{ text: string; offset: number; complete: boolean }> {
  const finished = runFinished(deps, run.id, signal)
  // The first event carries everything so far (spec 000), even when that is nothing yet.
  const wasComplete = !isActive(run.status)
  const first = await deps.logs.read(run.id, fromOffset, { complete: wasComplete, maxBytes: FIRST_EVENT_MAX_BYTES })
  const complete = wasComplete && first.nextOffset >= first.size
  yield { text: first.text, offset: first.nextOffset, complete }
  if (complete) return
  yield* deps.logs.follow(run.id, first.nextOffset, finished, { signal })
}

/** A larger backlog follows in further events, so no single event holds a huge log in memory. */
const FIRST_EVENT_MAX_BYTES = 4 * 1024 * 1024
