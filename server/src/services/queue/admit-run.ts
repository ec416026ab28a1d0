import { TaskyardError } from '../../domain/errors.ts'
import { effectiveMaxWorkers } from '../../domain/queue-settings.ts'
import type { StoreTables } from '../../store/store.ts'

/**
 * Called inside the transaction that queues a submitted run (create that runs now, trigger).
 * With when_busy 'refuse' (spec 003's single-task mode: max_workers 1) a run that would have to
 * wait is refused instead of queued. The queue's settings row is locked first, as every claim
 * locks it, so two parallel submits cannot both see the last free slot: one is queued, the other
 * refused. With 'queue' (the default) nothing is checked here. `freeing`: live runs this submit
 * ends (a `replace` trigger's), whose slots the new run takes over.
 */
export async function assertAdmits(tx: StoreTables, configuredMaxWorkers: number | null, freeing = 0): Promise<void> {
  const settings = await tx.queueSettings.lock()
  if (settings.whenBusy !== 'refuse') return
  const limit = effectiveMaxWorkers(settings, configuredMaxWorkers)
  if (limit == null) return
  const taken = (await tx.runs.countBusy()) + (await tx.runs.countQueued()) - freeing
  if (taken < limit) return
  throw new TaskyardError('worker_busy', 'Another task is running', {
    error: `All ${limit} worker slot${limit === 1 ? ' is' : 's are'} taken and when_busy is 'refuse': submit again when a run has ended`,
    max_workers: limit,
  })
}
