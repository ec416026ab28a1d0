import { canApply, refusal } from '../domain/task-actions.ts'
import type { Task, TaskPatch } from '../domain/task.ts'
import { assertCommandFileExists } from '../domain/task-command.ts'
import { recordAudit, type Actor } from './auth/record-audit.ts'
import { assertTaskPermission } from './auth/task-permission.ts'
import { commandRequired, installNodeDependencies } from './create-task.ts'
import type { PreparedFiles, ServiceDeps } from './deps.ts'
import { findTaskOrThrow } from './find-task.ts'

/** The new files as the request gave them (http/parse/update-script-form.ts). */
export interface UpdateScriptInput {
  /** Whole on disk; this service removes it, whatever happens. */
  upload: { path: string; filename: string }
  /** null: keep the command (or the new files' default, see commandAfterUpdate). */
  command: string | null
  force: boolean
}

export interface UpdatedScript {
  task: Task
  updatedFiles: string[]
}

/**
 * spec 000 update-script: replaces every file of the task directory. A running or scheduled task
 * needs force, which ends its run and leaves it 'paused' (the update never resumes execution by
 * itself). Without a new command the old one stays, unless it was the default for the old files,
 * in which case the default for the new files is used. The permission is asked before the upload
 * is read; the audit entry is stored with the new files' row.
 */
export async function updateTaskScript(deps: ServiceDeps, actor: Actor, taskId: number, readInput: () => Promise<UpdateScriptInput>): Promise<UpdatedScript> {
  await assertTaskPermission(deps, actor.user, 'update', taskId)
  const { upload, command, force } = await readInput()
  try {
    const current = await findTaskOrThrow(deps.store, taskId)
    if (!canApply('updateScript', current.status) && !force) throw refusal('updateScript', current.status)

    const prepared = await deps.files.prepare(upload, command ?? current.command)
    try {
      // Checked before anything changes: a refused upload must not stop the run.
      const nextCommand = commandAfterUpdate(deps, current, prepared, command)
      assertCommandFileExists(nextCommand, prepared.files)
      await installNodeDependencies(deps, prepared.dir, nextCommand, prepared.files, current.nodeVersion)
      const needsStop = !canApply('updateScript', current.status)
      if (needsStop) {
        const activeRunId = await deps.store.transaction(async (tx) => {
          await findTaskOrThrow(tx, taskId)
          await tx.tasks.update(taskId, { status: 'paused', updatedAt: deps.clock.now() })
          const active = await tx.runs.findActiveForTask(taskId)
          if (active && !deps.runControl.isSupervising(active.id)) {
            await tx.runs.update(active.id, { status: 'cancelled', endedAt: deps.clock.now() })
          }
          return active?.id ?? null
        })
        if (activeRunId != null) await deps.runControl.stop(activeRunId)
      }
      const task = await deps.store.transaction(async (tx) => {
        await findTaskOrThrow(tx, taskId)
        // Before the files move: a refused entry leaves the old files in place.
        await recordAudit(tx, deps.clock, actor, 'task.update', { type: 'task', id: taskId })
        const patch: TaskPatch = { source: prepared.source, scriptFile: prepared.scriptFile, command: nextCommand, updatedAt: deps.clock.now() }
        await deps.files.install(prepared.dir, taskId)
        return (await tx.tasks.update(taskId, patch))!
      })
      deps.wakeScheduler()
      deps.bus.emit('task:changed', { taskId })
      return { task, updatedFiles: prepared.files }
    } finally {
      await deps.files.discard(prepared.dir)
    }
  } finally {
    await deps.files.discard(upload.path)
  }
}

/**
 * The command after the update: the one given; else the old one, unless it was the default for
 * the old files, in which case the default for the new files (the main script of a ZIP).
 */
function commandAfterUpdate(deps: ServiceDeps, current: Task, prepared: PreparedFiles, given: string | null): string {
  if (given) return given
  const oldDefault = deps.files.defaultCommand(current.source, current.scriptFile)
  if (current.command !== oldDefault && current.command !== '') return current.command
  const main = prepared.source === 'zip' ? deps.files.detectMainScript(prepared.files) : prepared.scriptFile
  const next = main ? deps.files.defaultCommand('file', main) : deps.files.defaultCommand(prepared.source, prepared.scriptFile)
  if (next === null) throw commandRequired(main ?? prepared.scriptFile)
  return next
}
