import { insufficientPrivileges, TaskyardError } from '../../domain/errors.ts'
import { isActive, type Run, type RunStatus } from '../../domain/run.ts'
import { can } from '../../domain/user.ts'
import { recordAudit, type Actor } from '../auth/record-audit.ts'
import { assertTaskPermission } from '../auth/task-permission.ts'
import { closeRunIn } from '../close-run.ts'
import type { ServiceDeps } from '../deps.ts'

type Deps = Pick<ServiceDeps, 'store' | 'clock' | 'bus' | 'runControl'>

/** What became of one run asked to be cancelled. */
type Outcome =
  /** Queued: it never starts. */
  | 'cancelled'
  /** Running or paused here: its processes were stopped, the run ended 'cancelled'. */
  | 'stopped'
  /** It had ended already (or ended meanwhile). */
  | 'ended'
  /** Running, and the caller asked for queued runs only (a claim may have got there first). */
  | 'running'
  /** Running or paused on another server: the stop was recorded for that server to apply (issue 8). */
  | 'requested'

export const CANCELLED_BEFORE_START = 'Cancelled before it started'

const executionNotFound = (id: number): TaskyardError =>
  new TaskyardError('execution_not_found', 'Task execution with ID not found', { error: `Execution ${id} does not exist` })

/**
 * One run: a queued one is cancelled by a single conditional update (a claim that got there
 * first wins, and the run is then treated as running), closed with its task's status and
 * audited in the same transaction; a running one this node supervises is audited, then stopped.
 */
async function cancelOne(deps: Deps, actor: Actor, runId: number, cancelRunning: boolean): Promise<{ outcome: Outcome; before: RunStatus | null }> {
  const decided = await deps.store.transaction(async (tx) => {
    const current = await tx.runs.findById(runId)
    if (!current || !isActive(current.status)) return { outcome: 'ended' as const, before: current?.status ?? null }
    if (current.status === 'queued') {
      const now = deps.clock.now()
      // The task's row before the run's (issue 8's lock order: task, then runs; see close-run.ts).
      await tx.tasks.lockById(current.taskId)
      const cancelled = await tx.runs.cancelIfQueued(runId, now, CANCELLED_BEFORE_START)
      if (cancelled) {
        await closeRunIn(tx, cancelled, { status: 'cancelled', endedAt: now, error: CANCELLED_BEFORE_START })
        await recordAudit(tx, deps.clock, actor, 'execution.cancel', { type: 'execution', id: runId }, { task_id: current.taskId, was: 'queued' })
        return { outcome: 'cancelled' as const, before: 'queued' as const }
      }
    }
    const now = await tx.runs.findById(runId)
    if (!now || !isActive(now.status)) return { outcome: 'ended' as const, before: now?.status ?? null }
    if (!cancelRunning) return { outcome: 'running' as const, before: now.status }
    if (!deps.runControl.isSupervising(runId)) {
      // Compare-and-set on the run's status: a run that ended meanwhile is reported as ended.
      const asked = await tx.runs.requestAction(runId, 'stop', ['running', 'paused'])
      if (!asked) return { outcome: 'ended' as const, before: now.status }
      await recordAudit(tx, deps.clock, actor, 'execution.cancel', { type: 'execution', id: runId }, { task_id: now.taskId, was: now.status, requested: true })
      return { outcome: 'requested' as const, before: now.status }
    }
    await recordAudit(tx, deps.clock, actor, 'execution.cancel', { type: 'execution', id: runId }, { task_id: now.taskId, was: now.status })
    return { outcome: 'stopped' as const, before: now.status }
  })
  if (decided.outcome === 'stopped') await deps.runControl.stop(runId)
  return decided
}

export interface CancelledExecution {
  run: Run
  previousStatus: RunStatus
  /** Issue 8: another server supervises the run; the stop was recorded for it to apply. */
  requested?: true
}

/** POST /api/executions/<id>/cancel: a queued run never starts; a running or paused one is stopped. */
export async function cancelExecution(deps: Deps, actor: Actor, runId: number): Promise<CancelledExecution> {
  const run = await deps.store.runs.findById(runId)
  if (!run) throw executionNotFound(runId)
  await assertTaskPermission(deps, actor.user, 'stop', run.taskId)
  const { outcome, before } = await cancelOne(deps, actor, runId, true)
  if (outcome === 'ended') {
    throw new TaskyardError('invalid_transition', 'Execution cannot be cancelled', {
      error: `Execution ${runId} has already ended (${String(before)})`,
      ...(before !== null ? { current_status: before } : {}),
    })
  }
  deps.bus.emit('task:changed', { taskId: run.taskId })
  deps.runControl.wake()
  return { run: (await deps.store.runs.findById(runId)) ?? run, previousStatus: before!, ...(outcome === 'requested' ? { requested: true as const } : {}) }
}

export interface BulkCancel {
  cancelled: number
  failed: number
  total: number
}

/**
 * spec 002 cancel-all / cancel-by-type: every queued run (and with cancelRunning every running or
 * paused one) of the tasks the caller may stop — all of them for admins, their own for operators —
 * of `taskType` only when given. `total` is how many were asked, `failed` those that
 * could not be (ended or started meanwhile). A run on another server counts as cancelled: its stop
 * is recorded for that server (issue 8).
 */
export async function cancelRuns(deps: Deps, actor: Actor, options: { cancelRunning: boolean; taskType?: string }): Promise<BulkCancel> {
  const user = actor.user
  if (!user || user.role === 'viewer') throw insufficientPrivileges('cancel task runs')
  const active = await deps.store.runs.listActive()
  const tasks = new Map((await deps.store.tasks.list()).map((t) => [t.id, t]))
  const targets = active.filter((run) => {
    const task = tasks.get(run.taskId)
    if (!task || !can(user, 'stop', task)) return false
    if (options.taskType !== undefined && task.taskType !== options.taskType) return false
    return options.cancelRunning || run.status === 'queued'
  })
  const outcomes = await Promise.all(targets.map((run) => cancelOne(deps, actor, run.id, options.cancelRunning)))
  // A stop recorded for the server that supervises the run counts as done: that server applies it.
  const cancelled = outcomes.filter((o) => o.outcome === 'cancelled' || o.outcome === 'stopped' || o.outcome === 'requested').length
  for (const taskId of new Set(targets.map((r) => r.taskId))) deps.bus.emit('task:changed', { taskId })
  deps.runControl.wake()
  return { cancelled, failed: targets.length - cancelled, total: targets.length }
}
