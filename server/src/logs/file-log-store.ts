/**
 * The log store of one node: each run's log is the append-only file `<dir>/<run id>.log`, which
 * the run's processes write themselves (the executor opens it with O_APPEND). Nothing of a log
 * passes through memory whole: reads are ranges, follows are pull-based, downloads stream.
 */
import { rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { followLog } from './follow-log.ts'
import type { LogStore } from './log-store.ts'
import { openLogDownload } from './open-log-download.ts'
import { readLog, readLogRange, readLogTail } from './read-log.ts'

export interface FileLogStoreOptions {
  /** Where the logs live (the data directory's `logs/`); created by whoever secures the data directory. */
  dir: string
  /** How often a follower re-reads when no change event came (fs.watch can miss some). */
  pollMs?: number
}

export function createFileLogStore(options: FileLogStoreOptions): LogStore {
  const fileOf = (runId: number): string => runLogFile(options.dir, runId)
  const streamsOf = (runId: number) => ({ stdout: `${fileOf(runId)}.stdout`, stderr: `${fileOf(runId)}.stderr` })
  return {
    appendTarget: (runId) => ({ kind: 'file', path: fileOf(runId) }),
    read: (runId, fromOffset, readOptions) => readLog(fileOf(runId), fromOffset, readOptions),
    readRange: (runId, range) => readLogRange(fileOf(runId), range),
    readTail: (runId, maxBytes, tailOptions) => readLogTail(fileOf(runId), maxBytes, tailOptions),
    follow: (runId, fromOffset, finished, followOptions = {}) =>
      followLog(fileOf(runId), fromOffset, finished, { ...followOptions, ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}) }),
    openDownload: (runId) => openLogDownload(fileOf(runId)),
    async size(runId) {
      try {
        return (await stat(fileOf(runId))).size
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0
        throw error
      }
    },
    async remove(runId) {
      const streams = streamsOf(runId)
      await Promise.all([fileOf(runId), streams.stdout, streams.stderr].map((file) => rm(file, { force: true })))
    },
    streamTargets: (runId) => streamsOf(runId),
    readStreamTail: (runId, stream, maxBytes) => readLogTail(streamsOf(runId)[stream], maxBytes, { complete: true }),
  }
}

/** The file of a run's log: what tests and benchmarks that look at the disk itself read. */
export function runLogFile(dir: string, runId: number): string {
  if (!Number.isSafeInteger(runId) || runId < 1) throw new RangeError(`invalid run id ${runId}`)
  return path.join(dir, `${runId}.log`)
}
