import type { FastifyInstance, FastifyRequest } from 'fastify'
import { taskNotFound } from '../../domain/errors.ts'
import { getRun, runNotFound } from '../../services/get-run.ts'
import { listTaskRuns } from '../../services/list-task-runs.ts'
import { runStatus } from '../../services/run-status.ts'
import { sendRunInput } from '../../services/send-run-input.ts'
import { retryRun, retryRuns, retryTask, type RetryResult } from '../../services/retry-run.ts'
import { listRunArtifacts, openRunArtifact } from '../../services/run-artifacts.ts'
import { formatDateTime } from '../../lib/format-time.ts'
import { attachmentDisposition } from '../content-disposition.ts'
import { sendDownload } from '../send-download.ts'
import type { HttpDeps } from '../app.ts'
import { actorOf } from '../auth-context.ts'
import { canonicalId } from '../canonical-id.ts'
import { presentActiveRun, presentRunDetail } from '../present/run.ts'
import * as schemas from '../schemas/executions.ts'

/** An id spelled any other way than canonicalId's names a run that cannot exist: the 404. */
function runIdOf(request: FastifyRequest): number {
  const raw = (request.params as { execution_id: string }).execution_id
  const id = canonicalId(raw)
  if (id === null) throw runNotFound(raw)
  return id
}

function taskIdOf(request: FastifyRequest): number {
  const raw = (request.params as { task_id: string }).task_id
  const id = canonicalId(raw)
  if (id === null) throw taskNotFound(raw)
  return id
}

function retriedBody(r: RetryResult): Record<string, unknown> {
  return {
    success: true,
    message: 'Execution retried successfully',
    execution_id: String(r.retried.id),
    new_execution_id: String(r.run.id),
    task_id: r.run.taskId,
    attempt: r.run.attempt,
  }
}

/** Reads of runs (issue 8): one run in detail, a task's runs page by page, the brief status. */
export function executionRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { services } = deps

  app.get('/api/executions/:execution_id', { schema: schemas.getExecution }, async (request) => {
    const { run, task, queuePosition, artifactCount } = await getRun(services, actorOf(request), runIdOf(request))
    return { success: true, execution: presentRunDetail(run, task.name, queuePosition, artifactCount) }
  })

  app.get('/api/tasks/:task_id/executions', { schema: schemas.listTaskExecutions }, async (request) => {
    const { page, page_size } = request.query as { page: number; page_size: number }
    const taskId = taskIdOf(request)
    const result = await listTaskRuns(services, actorOf(request), taskId, page, page_size)
    return {
      success: true,
      task_id: taskId,
      executions: result.runs.map((r) => presentRunDetail(r, result.taskName, result.queuePositions.get(r.id) ?? null, result.artifactCounts.get(r.id) ?? 0)),
      total: result.total,
      page: result.page,
      page_size: result.pageSize,
    }
  })

  app.get('/api/executions/:execution_id/artifacts', { schema: schemas.listArtifacts }, async (request) => {
    const { run, artifacts } = await listRunArtifacts(services, actorOf(request), runIdOf(request))
    return {
      success: true,
      execution_id: String(run.id),
      artifacts: artifacts.map((a) => ({
        name: a.name,
        size: a.sizeBytes,
        modified_at: formatDateTime(a.modifiedAt),
        download_url: `/api/executions/${run.id}/artifacts/${encodeURIComponent(a.name)}`,
      })),
      total: artifacts.length,
    }
  })

  app.get('/api/executions/:execution_id/artifacts/:name', { schema: schemas.downloadArtifact }, async (request, reply) => {
    const { name } = request.params as { name: string }
    const file = await openRunArtifact(services, actorOf(request), runIdOf(request), name)
    return sendDownload(request, reply, file, {
      'content-type': 'application/octet-stream',
      'content-length': String(file.size),
      'content-disposition': attachmentDisposition(file.name),
      'x-content-type-options': 'nosniff',
    })
  })

  app.post('/api/executions/:execution_id/retry', { schema: schemas.retryExecution }, async (request) =>
    retriedBody(await retryRun(services, actorOf(request), runIdOf(request))),
  )

  app.post('/api/tasks/:task_id/retry', { schema: schemas.retryTask }, async (request) =>
    retriedBody(await retryTask(services, actorOf(request), taskIdOf(request))),
  )

  app.post('/api/executions/retry', { schema: schemas.retryExecutions }, async (request) => {
    const raw = (request.body as { execution_ids: (string | number)[] }).execution_ids.map(String)
    const ids = raw.map((id) => canonicalId(id))
    const items = await retryRuns(
      services,
      actorOf(request),
      ids.filter((id) => id !== null),
    )
    let next = 0
    const results = raw.map((rawId, i) => {
      // An id spelled another way names no run: reported as not found, like any unknown id.
      const item = ids[i] === null ? { ok: false as const, error: runNotFound(rawId) } : items[next++]!
      return item.ok
        ? { execution_id: rawId, success: true, new_execution_id: String(item.result.run.id), attempt: item.result.run.attempt }
        : { execution_id: rawId, success: false, message: item.error.message, error: String(item.error.details.error ?? item.error.message) }
    })
    const retried = results.filter((r) => r.success).length
    return { success: true, retried, failed: results.length - retried, total: results.length, results }
  })

  app.post('/api/executions/:execution_id/input', { schema: schemas.sendInput }, async (request) => {
    const { text, close = false } = request.body as { text: string; close?: boolean }
    const runId = runIdOf(request)
    const { bytes } = await sendRunInput(services, actorOf(request), runId, text, close)
    return { success: true, message: close ? 'Input sent and closed' : 'Input sent', execution_id: String(runId), bytes, closed: close }
  })

  app.get('/api/tasks/status', { schema: schemas.taskStatus }, async (request) => {
    const summary = await runStatus(services, actorOf(request))
    const active = summary.active.map((a) => presentActiveRun(a.run, a.taskName))
    return { success: true, has_active_task: active.length > 0, active_task: active[0] ?? null, active_tasks: active, queued_count: summary.queued }
  })
}
