import { TaskyardError } from '../domain/errors.ts'
import { isActive } from '../domain/run.ts'
import { recordAudit, type Actor } from './auth/record-audit.ts'
import { assertTaskPermission } from './auth/task-permission.ts'
import type { ServiceDeps } from './deps.ts'
import { lockTaskOrThrow } from './find-task.ts'
import { runNotFound } from './get-run.ts'

/** The most text one input request carries. */
export const MAX_INPUT_BYTES = 1024 * 1024

function refused(error: string, status: string): TaskyardError {
  return new TaskyardError('invalid_transition', 'Cannot send input', { error, current_status: status })
}

/**
 * spec 003 "add a new instruction to the running task": writes `text` to the stdin of an
 * interactive task's live run and, with `close`, ends it. Whoever may trigger the task may. A run
 * that has ended, has not started, belongs to a task that is not interactive or has its stdin
 * closed is a 400 that says which. The audit entry is written first in the transaction and the
 * text only then: a refused entry writes nothing.
 */
export async function sendRunInput(deps: ServiceDeps, actor: Actor, runId: number, text: string, close: boolean): Promise<{ bytes: number }> {
  const found = Number.isSafeInteger(runId) ? await deps.store.runs.findById(runId) : undefined
  if (!found) throw runNotFound(runId)
  await assertTaskPermission(deps, actor.user, 'trigger', found.taskId)
  const bytes = Buffer.byteLength(text)
  await deps.store.transaction(async (tx) => {
    const task = await lockTaskOrThrow(tx, found.taskId)
    const run = await tx.runs.findById(runId)
    if (!run) throw runNotFound(runId)
    if (!task.interactive) {
      throw refused(`Task ${task.id} is not interactive: its runs read end-of-file from stdin (create it with interactive=true)`, run.status)
    }
    if (!isActive(run.status)) throw refused(`Execution ${run.id} has ended (${run.status}): it reads no more input`, run.status)
    if (run.status === 'queued') throw refused(`Execution ${run.id} has not started yet`, run.status)
    await recordAudit(tx, deps.clock, actor, 'run.input', { type: 'run', id: run.id }, { bytes, close })
    const open =
      bytes === 0 && close ? deps.runControl.closeInput(run.id) : deps.runControl.input(run.id, text) && (!close || deps.runControl.closeInput(run.id))
    if (!open) throw refused(`Execution ${run.id} takes no more input: its stdin was closed, or its process is not on this server`, run.status)
  })
  return { bytes }
}
