import { TaskyardError } from '../domain/errors.ts'
import { canApply, refusal } from '../domain/task-actions.ts'
import type { Task, TaskPatch } from '../domain/task.ts'
import { assertCommandFileExists } from '../domain/task-command.ts'
import { assertCommand, commandRequired, parseBoolean, present } from './create-task.ts'
import type { PreparedFiles, ServiceDeps } from './deps.ts'
import { findTaskOrThrow } from './find-task.ts'

export interface UpdateScriptInput {
  upload: { path: string; filename: string } | null
  command?: string | undefined
  force?: string | undefined
}

export interface UpdatedScript {
  task: Task
  updatedFiles: string[]
}

/**
 * spec 000 update-script: replaces every file of the task directory. A running or scheduled task
 * needs force, which ends its run and leaves it 'paused' (the update never resumes execution by
 * itself). Without a new command the old one stays, unless it was the default for the old files,
 * in which case the default for the new files is used.
 */
export async function updateTaskScript(deps: ServiceDeps, taskId: number, input: UpdateScriptInput): Promise<UpdatedScript> {
  const upload = input.upload
  try {
    const current = await findTaskOrThrow(deps.store, taskId)
    if (!upload) throw new TaskyardError('no_script_file', 'No script file provided', { error: 'Script file is required for update' })
    const force = parseBoolean('force', present(input.force))
    const command = present(input.command)?.trim()
    if (command) assertCommand(command)
    if (!canApply('updateScript', current.status) && !force) throw refusal('updateScript', current.status)

    const prepared = await deps.files.prepare(upload, command ?? current.command)
    try {
      // Checked before anything changes: a refused upload must not stop the run.
      const nextCommand = commandAfterUpdate(deps, current, prepared, command)
      assertCommandFileExists(nextCommand, prepared.files)
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
    if (upload) await deps.files.discard(upload.path)
  }
}

/**
 * The command after the update: the one given; else the old one, unless it was the default for
 * the old files, in which case the default for the new files (the main script of a ZIP).
 */
function commandAfterUpdate(deps: ServiceDeps, current: Task, prepared: PreparedFiles, given: string | undefined): string {
  if (given) return given
  const oldDefault = deps.files.defaultCommand(current.source, current.scriptFile)
  if (current.command !== oldDefault && current.command !== '') return current.command
  const main = prepared.source === 'zip' ? deps.files.detectMainScript(prepared.files) : prepared.scriptFile
  const next = main ? deps.files.defaultCommand('file', main) : deps.files.defaultCommand(prepared.source, prepared.scriptFile)
  if (next === null) throw commandRequired(main ?? prepared.scriptFile)
  return next
}
