import fs, { type FSWatcher } from 'node:fs'
import fsp, { type FileHandle } from 'node:fs/promises'
import type { LogChunk } from './log-store.ts'
import { readLogFrom } from './read-log.ts'

export interface FollowLogOptions {
  /** Ends the iteration (normally, without an error) and releases the watcher. */
  signal?: AbortSignal
  /** Fallback re-read interval: fs.watch can miss events (network filesystems, coalescing). */
  pollMs?: number
  /** Upper bound of one chunk, hence of the memory one follower holds. */
  maxChunkBytes?: number
  /** Called each time the follower has caught up and starts waiting for the log to grow. */
  onWait?: () => void
}

const DEFAULT_POLL_MS = 250
const DEFAULT_MAX_CHUNK_BYTES = 1024 * 1024

/**
 * Yields a growing log from `fromOffset`: what is there, then what is appended, until `finished`
 * settles (resolved or rejected, the run is over either way); then what remains, in a last chunk
 * marked complete (its text may be empty), and the iteration ends.
 *
 * Pull-based: a read happens only when the consumer asks for the next chunk, so a slow consumer
 * costs one chunk of memory and never holds up the process writing the log. Watch events that
 * arrive meanwhile only set a flag. The watcher, the timer and the file are released when the
 * iteration ends by any path: completion, the signal, or the consumer's return() (a `break`).
 *
 * Neither the watcher nor the poll timer keeps the process alive: a follower serves a consumer
 * that has its own reason to live (a client's socket). One whose consumer failed without ending
 * it (a test that timed out awaiting next()) must not hold the process open for ever.
 */
export async function* followLog(
  path: string,
  fromOffset: number,
  finished: Promise<void>,
  options: FollowLogOptions = {},
): AsyncGenerator<LogChunk, void, undefined> {
  const { signal } = options
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS
  const maxBytes = options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES
  const wakeup = createWakeup()
  let isFinished = false
  const onFinished = (): void => {
    isFinished = true
    wakeup.notify()
  }
  finished.then(onFinished, onFinished)
  signal?.addEventListener('abort', wakeup.notify)
  let watcher: FSWatcher | null = null
  let handle: FileHandle | null = null
  let offset = fromOffset
  try {
    while (!signal?.aborted) {
      // Both are retried on every round: the file may not exist until the run writes to it.
      watcher ??= watchFile(path, wakeup.notify, () => {
        watcher?.close()
        watcher = null
      })
      handle ??= await openIfExists(path)
      // Taken before the read: if the run ends during it, the bytes it wrote last may have been
      // missed, so this read cannot be the final one and another round follows.
      const done = isFinished
      wakeup.clear()
      const slice = handle ? await readLogFrom(handle, offset, { complete: done, maxBytes }) : { text: '', nextOffset: offset, size: 0 }
      if (signal?.aborted) return
      const complete = done && slice.nextOffset >= slice.size
      if (slice.nextOffset > offset || complete) {
        offset = slice.nextOffset
        yield { text: slice.text, offset, complete }
        if (complete) return
        continue
      }
      options.onWait?.()
      await wakeup.wait(pollMs)
    }
  } finally {
    signal?.removeEventListener('abort', wakeup.notify)
    wakeup.cancel()
    watcher?.close()
    await handle?.close()
  }
}

function watchFile(path: string, onChange: () => void, onError: () => void): FSWatcher | null {
  try {
    // Not persistent, like the poll timer: see followLog.
    return fs.watch(path, { persistent: false }, onChange).on('error', onError)
  } catch {
    return null
  }
}

async function openIfExists(path: string): Promise<FileHandle | null> {
  try {
    return await fsp.open(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

/**
 * A one-slot doorbell: notify() either ends the current wait or, when nobody waits, makes the next
 * wait return at once. Any number of rings between two waits cost the same: one flag.
 */
function createWakeup() {
  let pending = false
  let release: (() => void) | null = null
  let timer: NodeJS.Timeout | undefined
  const cancel = (): void => {
    clearTimeout(timer)
    const waiter = release
    release = null
    waiter?.()
  }
  return {
    notify(): void {
      if (release) cancel()
      else pending = true
    },
    clear(): void {
      pending = false
    },
    wait(ms: number): Promise<void> {
      if (pending) {
        pending = false
        return Promise.resolve()
      }
      return new Promise<void>((resolve) => {
        release = resolve
        timer = setTimeout(cancel, ms).unref()
      })
    },
    cancel,
  }
}
