import { stat } from 'node:fs/promises'
import { TaskyardError } from '../domain/errors.ts'
import { isActive, type Run } from '../domain/run.ts'
import { followLog } from '../logs/follow-log.ts'
import { readLog } from '../logs/read-log.ts'
import type { ServiceDeps } from './deps.ts'

const executionNotFound = (): TaskyardError => new TaskyardError('execution_not_found', 'Task execution with ID not found')

/** The run, if it exists and belongs to the task; spec 000's 404 otherwise. */
export async function findRunOfTask(deps: ServiceDeps, taskId: number, runId: number): Promise<Run> {
  const run = Number.isSafeInteger(runId) ? await deps.store.runs.findById(runId) : undefined
  if (!run || run.taskId !== taskId) throw executionNotFound()
  return run
}

export interface RunLog {
  run: Run
  text: string
  complete: boolean
  /** When the log last grew (its file's mtime), or the run's end. */
  lastUpdate: number | null
}

/** spec 000 logs without stream: the whole log so far. */
export async function readRunLog(deps: ServiceDeps, taskId: number, runId: number): Promise<RunLog> {
  const run = await findRunOfTask(deps, taskId, runId)
  const path = deps.paths.runLog(run.id)
  const complete = !isActive(run.status)
  try {
    const { text } = await readLog(path, 0, { complete })
    const mtime = await stat(path).then((s) => s.mtimeMs, () => null)
    return { run, text, complete, lastUpdate: mtime != null ? Math.round(mtime) : (run.endedAt ?? run.startedAt) }
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
  const path = deps.paths.runLog(run.id)
  const finished = runFinished(deps, run.id, signal)
  // The first event carries everything so far (spec 000), even when that is nothing yet.
  const wasComplete = !isActive(run.status)
  const first = await readLog(path, fromOffset, { complete: wasComplete, maxBytes: FIRST_EVENT_MAX_BYTES })
  const complete = wasComplete && first.nextOffset >= first.size
  yield { text: first.text, offset: first.nextOffset, complete }
  if (complete) return
  yield* followLog(path, first.nextOffset, finished, { signal })
}

/** A larger backlog follows in further events, so no single event holds a huge log in memory. */
const FIRST_EVENT_MAX_BYTES = 4 * 1024 * 1024
