import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { taskNotFound, TaskyardError } from '../../domain/errors.ts'
import { parseReason } from '../../domain/run-reason.ts'
import { createTask } from '../../services/create-task.ts'
import { deleteTask } from '../../services/delete-task.ts'
import { DEFAULT_HISTORY_LIMIT, getTask, MAX_HISTORY_LIMIT } from '../../services/get-task.ts'
import { listRunHistory, listTasks } from '../../services/list-tasks.ts'
import { pauseTask } from '../../services/pause-task.ts'
import { resumeTask } from '../../services/resume-task.ts'
import { downloadRunLog, findRunOfTask, readRunLog, streamRunLog } from '../../services/run-logs.ts'
import { stopTask } from '../../services/stop-task.ts'
import { taskStats } from '../../services/task-stats.ts'
import { triggerTask, type TaskTransition } from '../../services/trigger-task.ts'
import { updateTaskScript } from '../../services/update-task-script.ts'
import { updateTask } from '../../services/update-task.ts'
import { formatDateTime } from '../../lib/format-time.ts'
import type { HttpDeps } from '../app.ts'
import { actorOf } from '../auth-context.ts'
import { streamRevocation } from '../stream-revocation.ts'
import { canonicalId } from '../canonical-id.ts'
import { parseMultipartAs } from '../multipart.ts'
import { parseCreateTaskForm } from '../parse/create-task-form.ts'
import { parseUpdateScriptForm } from '../parse/update-script-form.ts'
import { parseUpdateTaskBody, type UpdateTaskBody } from '../parse/update-task-body.ts'
import { presentExecution, presentTask, presentTaskListItem } from '../present/task.ts'
import { presentHistoryItem, presentStats } from '../present/stats.ts'
import { megabytes, seconds } from '../present/units.ts'
import * as schemas from '../schemas/tasks.ts'
import { sendSse } from '../sse.ts'
import { sendDownload } from '../send-download.ts'
import { attachmentDisposition } from '../content-disposition.ts'
import { wantsTaskPage, type RawTaskPageQuery } from '../parse/task-page-query.ts'
import { createShellTaskRoute, isJsonBody, listTaskPageRoute } from './shell-tasks.ts'

/** Digits only (no sign, exponent, hex or blank); anything else becomes NaN, which the service refuses by name. */
const byteCount = (raw: string): number => (/^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN)

const invalidLogQuery = (error: string): TaskyardError => new TaskyardError('invalid_input', 'Invalid log range', { error })

/**
 * spec 000 ids are integers written one way (http/canonical-id.ts); any other spelling names a
 * task that cannot exist: 404 in the spec's words, never another task.
 */
function taskIdOf(request: FastifyRequest): number {
  const raw = (request.params as { task_id: string }).task_id
  const id = canonicalId(raw)
  if (id === null) throw taskNotFound(raw)
  return id
}

function transitionBody(message: string, t: TaskTransition): Record<string, unknown> {
  return {
    success: true,
    message,
    task: { task_id: t.task.id, task_name: t.task.name, status: t.task.status, previous_status: t.previousStatus },
    // Issue 8: the run is another server's; the action was recorded for that server to apply.
    ...(t.requested ? { requested: true } : {}),
  }
}

export function taskRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { services } = deps
  const multipartOptions = (fields: Readonly<Record<string, schemas.MultipartFieldKind>>) => ({
    uploadsDir: deps.paths.uploadsDir,
    maxUploadBytes: deps.maxUploadBytes,
    fields,
    maxTextBytes: 1024 * 1024,
    saveUpload: deps.saveUpload,
    discard: services.files.discard,
  })

  const maxLogBytes = services.settings.maxLogBytes

  app.post('/api/tasks', { schema: schemas.createTask }, async (request, reply) => {
    // spec 001: a JSON body is a shell command on a registered server (routes/shell-tasks.ts).
    if (isJsonBody(request)) return createShellTaskRoute(services, request, reply)
    // Each service asks the permission before it reads the form: a refused upload is never stored.
    const { task, environmentMessage } = await createTask(services, actorOf(request), () =>
      parseMultipartAs(request, multipartOptions(schemas.CREATE_TASK_FIELDS), (form) => parseCreateTaskForm(form, maxLogBytes)),
    )
    reply.status(201)
    return {
      success: true,
      message: 'Task scheduled successfully',
      task: presentTask(deps.paths, task),
      environment_message: environmentMessage,
    }
  })

  app.get('/api/tasks', { schema: schemas.listTasks }, async (request) => {
    const { type = 'defined', task_type: taskType, label } = request.query as { type?: string; task_type?: string; label?: string }
    // spec 001: paging asked for answers {list, total, page, page_size}; without it spec 000's array stays.
    if (type === 'defined' && wantsTaskPage(request.query as RawTaskPageQuery)) return listTaskPageRoute(services, request)
    if (type === 'history') return (await listRunHistory(services)).map(presentHistoryItem)
    return (await listTasks(services, { ...(taskType === undefined ? {} : { taskType }), ...(label === undefined ? {} : { label }) })).map(presentTaskListItem)
  })

  app.get('/api/tasks/stats', { schema: schemas.stats }, async () => presentStats(await taskStats(services)))

  app.get('/api/tasks/history', { schema: schemas.history }, async () => ({
    status: 'success',
    data: (await listRunHistory(services)).map(presentHistoryItem),
  }))

  app.get('/api/tasks/:task_id', { schema: schemas.getTask }, async (request) => {
    const { history_limit } = request.query as { history_limit?: number }
    const detail = await getTask(services, taskIdOf(request), Math.min(history_limit ?? DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT))
    const chronological = detail.runs.filter((r) => r.startedAt != null && r.endedAt != null).reverse()
    const latest = detail.latest
    return {
      success: true,
      task: {
        ...presentTask(deps.paths, detail.task),
        ...(detail.queuePosition === null ? {} : { queue_position: detail.queuePosition }),
        last_execution_id: detail.runs[0] ? String(detail.runs[0].id) : null,
        executions: detail.runs.map((r) => String(r.id)),
      },
      execution_history: detail.runs.map(presentExecution),
      performance_metrics: {
        durations: chronological.map((r) => seconds(r.endedAt! - r.startedAt!)),
        timestamps: chronological.map((r) => formatDateTime(r.startedAt)),
        peak_memories: chronological.map((r) => megabytes(r.peakRssBytes)),
        avg_memories: chronological.map((r) => megabytes(r.avgRssBytes)),
      },
      latest_execution: latest
        ? {
            ...presentExecution(latest.run),
            logs:
              latest.omittedBytes > 0
                ? `[${latest.omittedBytes} earlier bytes omitted; the whole log is at /api/tasks/${detail.task.id}/executions/${latest.run.id}/logs?download=1]\n${latest.log}`
                : latest.log,
          }
        : null,
    }
  })

  app.get('/api/tasks/:task_id/executions/:execution_id/logs', { schema: schemas.logs }, async (request, reply) => {
    const taskId = canonicalId((request.params as { task_id: string }).task_id) ?? 0
    const runId = canonicalId((request.params as { execution_id: string }).execution_id) ?? 0
    const query = request.query as { stream?: string; download?: string; offset?: string; limit?: string }
    const stream = query.stream === 'true' || query.stream === '1'
    const download = query.download === 'true' || query.download === '1'
    const ranged = query.offset !== undefined || query.limit !== undefined
    if ((stream || download) && ranged) {
      throw invalidLogQuery(`${stream ? 'stream=true resumes with the Last-Event-ID header' : 'download=1 serves the whole log'}; it takes no offset or limit`)
    }
    if (stream && download) throw invalidLogQuery('choose stream=true or download=1, not both')
    if (stream) return streamLogs(request, reply, taskId, runId)
    if (download) {
      const file = await downloadRunLog(services, taskId, runId)
      return sendDownload(request, reply, file, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': String(file.size),
        'content-disposition': attachmentDisposition(file.fileName),
      })
    }
    const log = await readRunLog(services, taskId, runId, {
      ...(query.offset !== undefined ? { offset: byteCount(query.offset) } : {}),
      ...(query.limit !== undefined ? { limit: byteCount(query.limit) } : {}),
    })
    return {
      success: true,
      task_id: taskId,
      execution_id: String(runId),
      logs: log.text,
      is_complete: log.complete,
      last_update: formatDateTime(log.lastUpdate),
      offset: log.offset,
      next_offset: log.nextOffset,
      size: log.size,
      truncated_before: log.offset > 0,
      has_more: log.nextOffset < log.size,
      download_url: `/api/tasks/${taskId}/executions/${runId}/logs?download=1`,
    }
  })

  async function streamLogs(request: FastifyRequest, reply: FastifyReply, taskId: number, runId: number): Promise<FastifyReply> {
    const run = await findRunOfTask(services, taskId, runId)
    const lastEventId = request.headers['last-event-id']
    const from = typeof lastEventId === 'string' && /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : 0
    const revoked = await streamRevocation(services, request)
    try {
      return await sendSse(
        request,
        reply,
        (signal) => streamRunLog(services, run, from, signal),
        (chunk) => ({
          id: String(chunk.offset),
          data: JSON.stringify({ logs: chunk.text, is_complete: chunk.complete }),
        }),
        revoked.signal,
      )
    } finally {
      revoked.off()
    }
  }

  app.post('/api/tasks/:task_id/trigger', { schema: schemas.taskAction }, async (request) => {
    const t = await triggerTask(services, actorOf(request), taskIdOf(request))
    return transitionBody('Task triggered successfully', t)
  })

  // spec 003's TaskControlRequest: an optional reason, kept on the run with who gave it.
  const controls = [
    ['stop', 'Task stopped successfully', stopTask],
    ['pause', 'Task paused successfully', pauseTask],
    ['resume', 'Task resumed successfully', resumeTask],
  ] as const
  for (const [action, message, service] of controls) {
    app.post(`/api/tasks/:task_id/${action}`, { schema: schemas.taskControl }, async (request) => {
      const taskId = taskIdOf(request)
      const reason = parseReason((request.body as { reason?: unknown } | undefined)?.reason)
      const t = await service(services, actorOf(request), taskId, reason)
      return transitionBody(message, t)
    })
  }

  app.delete('/api/tasks/:task_id', { schema: schemas.deleteTask }, async (request) => {
    const taskId = taskIdOf(request)
    await deleteTask(services, actorOf(request), taskId)
    return { success: true, message: 'Task deleted successfully', task_id: taskId }
  })

  app.put('/api/tasks/:task_id', { schema: schemas.updateTask }, async (request) => {
    const { task, requirementsUpdate } = await updateTask(services, actorOf(request), taskIdOf(request), () =>
      parseUpdateTaskBody((request.body ?? {}) as UpdateTaskBody, maxLogBytes),
    )
    return {
      success: true,
      message: 'Task updated successfully',
      task: presentTask(deps.paths, task),
      requirements_update: requirementsUpdate
        ? {
            success: requirementsUpdate.success,
            installed_packages: requirementsUpdate.installedPackages,
            failed_packages: requirementsUpdate.failedPackages,
          }
        : null,
    }
  })

  app.post('/api/tasks/:task_id/update-script', { schema: schemas.updateScript }, async (request) => {
    const { task, updatedFiles } = await updateTaskScript(services, actorOf(request), taskIdOf(request), () =>
      parseMultipartAs(request, multipartOptions(schemas.UPDATE_SCRIPT_FIELDS), parseUpdateScriptForm),
    )
    const presented = presentTask(deps.paths, task)
    return {
      success: true,
      message: 'Task script updated successfully',
      task: { task_id: task.id, task_name: task.name, script_path: presented.script_path, command: task.command, status: task.status },
      updated_files: updatedFiles,
    }
  })
}
