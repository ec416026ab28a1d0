import type { ResponseOf } from '../../api/client'
import type { TaskStatus } from '../../api/models'
import { ALLOWED_FROM, type Role } from '../../lib/task-actions'
import type { RequestAction } from './perform-task-action'

export const BULK_ACTIONS: readonly RequestAction[] = ['trigger', 'pause', 'resume', 'stop', 'retry', 'delete']

export type BulkUnavailable = { key: 'bulk.why.none' } | { key: 'actions.why.role'; role: Role } | { key: 'bulk.why.status' }

/** Why a bulk action is unavailable: nothing selected, a read-only role, or no selected task it applies to. */
export function bulkAvailability(action: RequestAction, statuses: readonly TaskStatus[], role: Role): BulkUnavailable | null {
  if (statuses.length === 0) return { key: 'bulk.why.none' }
  if (role === 'viewer') return { key: 'actions.why.role', role }
  if (!statuses.some((s) => ALLOWED_FROM[action].includes(s))) return { key: 'bulk.why.status' }
  return null
}

export interface BulkResult {
  taskId: number
  taskName: string
  ok: boolean
  /** The server's words: its success message, or its refusal. */
  message: string
  /** Another server supervises the run: the action was asked of it, not done yet. */
  requested?: true
}

/**
 * Sends the action to each selected task in turn (one request at a time: the server stays the
 * judge of each, and a refusal of one never stops the others).
 */
export async function runBulk(
  tasks: readonly { task_id: number; task_name: string }[],
  send: (taskId: number) => Promise<{ message: string; requested?: true }>,
  describe: (error: unknown) => string,
): Promise<BulkResult[]> {
  const results: BulkResult[] = []
  for (const task of tasks) {
    try {
      const answer = await send(task.task_id)
      results.push({ taskId: task.task_id, taskName: task.task_name, ok: true, message: answer.message, ...(answer.requested ? { requested: true } : {}) })
    } catch (error) {
      results.push({ taskId: task.task_id, taskName: task.task_name, ok: false, message: describe(error) })
    }
  }
  return results
}

/** One item of POST /api/executions/retry's answer. */
export type RetryItem = ResponseOf<'/api/executions/retry', 'post'>['results'][number]

/**
 * Bulk retry: the latest run of each selected task, all in one POST /api/executions/retry, the
 * server's answer for each run listed under its task. A task with no run is reported as such.
 */
export async function runBulkRetry(
  tasks: readonly { task_id: number; task_name: string }[],
  latestRunOf: (taskId: number) => Promise<string | null>,
  retryMany: (executionIds: string[]) => Promise<{ results: RetryItem[] }>,
  words: { noRun: string; retried(item: RetryItem): string },
  describe: (error: unknown) => string,
): Promise<BulkResult[]> {
  const byRun = new Map<string, { task_id: number; task_name: string }>()
  const results: BulkResult[] = []
  for (const task of tasks) {
    try {
      const run = await latestRunOf(task.task_id)
      if (run) byRun.set(run, task)
      else results.push({ taskId: task.task_id, taskName: task.task_name, ok: false, message: words.noRun })
    } catch (error) {
      results.push({ taskId: task.task_id, taskName: task.task_name, ok: false, message: describe(error) })
    }
  }
  if (byRun.size === 0) return results
  const answer = await retryMany([...byRun.keys()])
  for (const item of answer.results) {
    const task = byRun.get(item.execution_id)
    if (!task) continue
    results.push({
      taskId: task.task_id,
      taskName: task.task_name,
      ok: item.success,
      message: item.success ? words.retried(item) : [item.message, item.error].filter(Boolean).join(': '),
    })
  }
  return results
}
