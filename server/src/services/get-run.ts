import { TaskyardError } from '../domain/errors.ts'
import type { Run } from '../domain/run.ts'
import type { Task } from '../domain/task.ts'
import type { Actor } from './auth/record-audit.ts'
import { assertTaskPermission } from './auth/task-permission.ts'
import type { ServiceDeps } from './deps.ts'

/** spec 000's 404 for a run, naming the id asked for. */
export function runNotFound(runId: number | string): TaskyardError {
  return new TaskyardError('execution_not_found', 'Task execution with ID not found', { error: `No execution with ID ${runId}` })
}

/** One run as spec 003's detailed status shows it: the run, its task, its place in the queue. */
export interface RunDetail {
  run: Run
  task: Task
  /** 1: the next queued run to start; null unless the run is queued. */
  queuePosition: number | null
  /** Result files in the run's $TASKYARD_OUTPUT_DIR. */
  artifactCount: number
}

/** The run, or the 404; the caller must be allowed to read its task (every role may today). */
export async function findRunForReading(deps: ServiceDeps, actor: Actor, runId: number): Promise<{ run: Run; task: Task }> {
  const run = Number.isSafeInteger(runId) ? await deps.store.runs.findById(runId) : undefined
  if (!run) throw runNotFound(runId)
  await assertTaskPermission(deps, actor.user, 'read', run.taskId)
  const task = await deps.store.tasks.findById(run.taskId)
  // Deleted between the two reads: its runs went with it.
  if (!task) throw runNotFound(runId)
  return { run, task }
}

export async function getRun(deps: ServiceDeps, actor: Actor, runId: number): Promise<RunDetail> {
  const { run, task } = await findRunForReading(deps, actor, runId)
  const queuePosition = run.status === 'queued' ? await deps.store.runs.queuePosition(run.id, deps.clock.now()) : null
  const artifactCount = await deps.artifacts.count({ taskId: run.taskId, runId: run.id })
  return { run, task, queuePosition, artifactCount }
}
