import type { Run } from '../../domain/run.ts'
import type { Actor } from '../auth/record-audit.ts'
import { assertTaskPermission } from '../auth/task-permission.ts'
import type { ServiceDeps } from '../deps.ts'
import { TaskyardError } from '../../domain/errors.ts'

/** The most of each stream one answer carries: spec 001's default output cap, so a shell run's record is whole. */
export const RECORD_MAX_BYTES = 10 * 1024 * 1024

export interface ExecutionRecord {
  run: Run
  /** stdout; for a run whose streams were not kept apart (this machine's runs), the whole log. */
  output: string
  /** stderr; empty for a run whose streams were not kept apart. */
  error: string
  /** Bytes left out before `output` and `error`'s start. */
  omittedBytes: { output: number; error: number }
}

/**
 * spec 001 GET /api/task/:id/log: a run's output and error apart. A run on a server kept stdout
 * and stderr in files of their own beside its log; a local run's two streams share one file
 * (its order exact), which is then the output.
 */
export async function executionRecord(deps: Pick<ServiceDeps, 'store' | 'logs'>, actor: Actor, runId: number): Promise<ExecutionRecord> {
  if (!actor.user) await assertTaskPermission(deps, actor.user, 'read', null)
  const run = await deps.store.runs.findById(runId)
  if (!run) throw new TaskyardError('execution_not_found', 'Task execution with ID not found', { error: `No execution record with ID ${runId}` })
  await assertTaskPermission(deps, actor.user, 'read', run.taskId)
  const [stdout, stderr] = await Promise.all([
    deps.logs.readStreamTail(run.id, 'stdout', RECORD_MAX_BYTES),
    deps.logs.readStreamTail(run.id, 'stderr', RECORD_MAX_BYTES),
  ])
  if (stdout.text === '' && stderr.text === '' && stdout.omittedBytes === 0 && stderr.omittedBytes === 0) {
    const all = await deps.logs.readTail(run.id, RECORD_MAX_BYTES, { complete: run.endedAt != null })
    return { run, output: all.text, error: '', omittedBytes: { output: all.omittedBytes, error: 0 } }
  }
  return { run, output: stdout.text, error: stderr.text, omittedBytes: { output: stdout.omittedBytes, error: stderr.omittedBytes } }
}
