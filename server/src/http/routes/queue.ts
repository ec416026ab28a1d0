import type { FastifyInstance, FastifyRequest } from 'fastify'
import { TaskyardError, taskNotFound } from '../../domain/errors.ts'
import { priorityWord } from '../../domain/priority.ts'
import { parseTaskType } from '../../domain/task-labels.ts'
import { formatDateTime } from '../../lib/format-time.ts'
import { cancelExecution, cancelRuns } from '../../services/queue/cancel-runs.ts'
import { listQueue } from '../../services/queue/list-queue.ts'
import { setTaskPriority } from '../../services/queue/set-task-priority.ts'
import { getQueueSettings, updateQueueSettings, type QueueSettingsView } from '../../services/queue/queue-settings.ts'
import type { HttpDeps } from '../app.ts'
import { actorOf } from '../auth-context.ts'
import { canonicalId } from '../canonical-id.ts'
import { assertKnownFields } from '../known-fields.ts'
import * as schemas from '../schemas/queue.ts'

function presentSettings(view: QueueSettingsView) {
  return {
    max_workers: view.maxWorkersInForce,
    max_workers_source: view.settings.maxWorkers == null ? ('config' as const) : ('admin' as const),
    when_busy: view.settings.whenBusy,
    configured_max_workers: view.configuredMaxWorkers,
    updated_at: formatDateTime(view.settings.updatedAt),
    updated_by: view.settings.updatedBy,
  }
}

function taskIdOf(request: FastifyRequest): number {
  const raw = (request.params as { task_id: string }).task_id
  const id = canonicalId(raw)
  if (id === null) throw taskNotFound(raw)
  return id
}

function executionIdOf(request: FastifyRequest): number {
  const raw = (request.params as { execution_id: string }).execution_id
  const id = canonicalId(raw)
  if (id === null) throw new TaskyardError('execution_not_found', 'Task execution with ID not found', { error: `Execution ${raw} does not exist` })
  return id
}

/** The queue (issue 8): its settings, its order, priorities. */
export function queueRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const services = deps.services

  app.get('/api/settings', { schema: schemas.getSettingsSchema }, async () => ({
    success: true,
    settings: presentSettings(await getQueueSettings(services)),
  }))

  app.put('/api/settings', { schema: schemas.updateSettingsSchema }, async (request) => {
    const body = (request.body ?? {}) as Record<string, unknown>
    assertKnownFields(Object.keys(body), ['max_workers', 'when_busy'])
    const view = await updateQueueSettings(services, actorOf(request), { maxWorkers: body.max_workers, whenBusy: body.when_busy })
    return { success: true, message: 'Settings updated', settings: presentSettings(view) }
  })

  app.post('/api/tasks/:task_id/priority', { schema: schemas.setPrioritySchema }, async (request) => {
    const taskId = taskIdOf(request)
    const body = (request.body ?? {}) as Record<string, unknown>
    assertKnownFields(Object.keys(body), ['priority'])
    const change = await setTaskPriority(services, actorOf(request), taskId, body.priority)
    return {
      success: true,
      message: `Task priority updated: ${taskId} -> ${change.task.priority}`,
      task_id: taskId,
      priority: change.task.priority,
      priority_word: priorityWord(change.task.priority),
      previous_priority: change.previousPriority,
      queued_runs_updated: change.queuedRuns,
    }
  })

  app.get('/api/queue', { schema: schemas.listQueueSchema }, async (request) => {
    const { page = 1, page_size: pageSize = 100 } = request.query as { page?: number; page_size?: number }
    const q = await listQueue(services, { page, pageSize })
    return {
      success: true,
      queue: q.entries.map(({ position, run }) => ({
        position,
        execution_id: run.id,
        task_id: run.taskId,
        task_name: run.taskName,
        priority: run.priority,
        priority_word: priorityWord(run.priority),
        trigger: run.trigger,
        queued_at: formatDateTime(run.queuedAt),
        ...(run.notBefore != null ? { not_before: formatDateTime(run.notBefore) } : {}),
      })),
      total: q.total,
      page,
      page_size: pageSize,
      running: q.busy,
      max_workers: q.maxWorkers,
    }
  })

  app.post('/api/executions/:execution_id/cancel', { schema: schemas.cancelExecutionSchema }, async (request) => {
    const runId = executionIdOf(request)
    const { run, previousStatus, requested } = await cancelExecution(services, actorOf(request), runId)
    return {
      success: true,
      message: `Execution cancelled: ${runId}`,
      execution_id: runId,
      task_id: run.taskId,
      previous_status: previousStatus,
      status: run.status,
      ...(requested ? { requested: true } : {}),
    }
  })

  app.post('/api/tasks/cancel-by-type', { schema: schemas.cancelByTypeSchema }, async (request) => {
    const body = request.body as Record<string, unknown>
    assertKnownFields(Object.keys(body), ['task_type', 'cancel_running'])
    const taskType = parseTaskType(body.task_type)
    if (taskType === null) throw new TaskyardError('invalid_input', 'Missing required field', { error: 'task_type is required' })
    const result = await cancelRuns(services, actorOf(request), { cancelRunning: body.cancel_running === true, taskType })
    return { success: true, message: `Cancelled ${result.cancelled} runs of type ${taskType}`, result }
  })

  app.post('/api/tasks/cancel-all', { schema: schemas.cancelAllSchema }, async (request) => {
    const body = (request.body ?? {}) as Record<string, unknown>
    assertKnownFields(Object.keys(body), ['cancel_running'])
    const result = await cancelRuns(services, actorOf(request), { cancelRunning: body.cancel_running === true })
    return { success: true, message: `Cancelled ${result.cancelled} runs`, result }
  })
}
