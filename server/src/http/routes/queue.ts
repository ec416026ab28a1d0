import type { FastifyInstance } from 'fastify'
import { formatDateTime } from '../../lib/format-time.ts'
import { getQueueSettings, updateQueueSettings, type QueueSettingsView } from '../../services/queue/queue-settings.ts'
import type { HttpDeps } from '../app.ts'
import { actorOf } from '../auth-context.ts'
import { assertKnownFields } from '../known-fields.ts'
import * as schemas from '../schemas/queue.ts'

function presentSettings(view: QueueSettingsView) {
  return {
    max_workers: view.maxWorkersInForce,
    max_workers_source: view.settings.maxWorkers == null ? ('config' as const) : ('admin' as const),
    configured_max_workers: view.configuredMaxWorkers,
    updated_at: formatDateTime(view.settings.updatedAt),
    updated_by: view.settings.updatedBy,
  }
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
    assertKnownFields(Object.keys(body), ['max_workers'])
    const view = await updateQueueSettings(services, actorOf(request), { maxWorkers: body.max_workers })
    return { success: true, message: 'Settings updated', settings: presentSettings(view) }
  })
}
