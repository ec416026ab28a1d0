import { insufficientPrivileges } from '../../domain/errors.ts'
import { effectiveMaxWorkers, parseMaxWorkers, parseWhenBusy, type QueueSettings } from '../../domain/queue-settings.ts'
import { recordAudit, type Actor } from '../auth/record-audit.ts'
import type { ServiceDeps } from '../deps.ts'

/** The queue's settings as GET /api/settings shows them: what is stored, and what is in force. */
export interface QueueSettingsView {
  settings: QueueSettings
  /** The limit claims obey now; null = none. */
  maxWorkersInForce: number | null
  /** TASKYARD_MAX_WORKERS of this server: in force while settings.maxWorkers is null. */
  configuredMaxWorkers: number | null
}

const view = (deps: Pick<ServiceDeps, 'settings'>, settings: QueueSettings): QueueSettingsView => ({
  settings,
  maxWorkersInForce: effectiveMaxWorkers(settings, deps.settings.maxWorkers),
  configuredMaxWorkers: deps.settings.maxWorkers,
})

/** Every role reads the queue's settings. */
export async function getQueueSettings(deps: Pick<ServiceDeps, 'store' | 'settings'>): Promise<QueueSettingsView> {
  return view(deps, await deps.store.queueSettings.get())
}

/**
 * Admins change max_workers (null: back to TASKYARD_MAX_WORKERS); audited in the same
 * transaction. A higher limit starts queued runs at once; a lower one stops nothing that runs,
 * it only holds back the next claims until the busy runs are under it.
 */
export async function updateQueueSettings(
  deps: Pick<ServiceDeps, 'store' | 'settings' | 'clock' | 'runControl'>,
  actor: Actor,
  input: { maxWorkers?: unknown; whenBusy?: unknown },
): Promise<QueueSettingsView> {
  if (actor.user?.role !== 'admin') throw insufficientPrivileges('change the settings')
  const maxWorkers = input.maxWorkers === undefined ? undefined : parseMaxWorkers(input.maxWorkers)
  const whenBusy = input.whenBusy === undefined ? undefined : parseWhenBusy(input.whenBusy)
  const updated = await deps.store.transaction(async (tx) => {
    const before = await tx.queueSettings.lock()
    if (maxWorkers === undefined && whenBusy === undefined) return before
    const after = await tx.queueSettings.update({
      maxWorkers: maxWorkers === undefined ? before.maxWorkers : maxWorkers,
      whenBusy: whenBusy ?? before.whenBusy,
      updatedAt: deps.clock.now(),
      updatedBy: actor.user?.id ?? null,
    })
    const changes: Record<string, unknown> = {}
    if (maxWorkers !== undefined) changes.max_workers = { from: before.maxWorkers, to: after.maxWorkers }
    if (whenBusy !== undefined) changes.when_busy = { from: before.whenBusy, to: after.whenBusy }
    await recordAudit(tx, deps.clock, actor, 'settings.update', { type: 'settings', id: 'queue' }, changes)
    return after
  })
  deps.runControl.wake()
  return view(deps, updated)
}
