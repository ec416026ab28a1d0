import type { Environments } from '../../environments/environments.ts'
import type { Store } from '../../store/store.ts'

/** How far before a rename's journal record its commit record is looked for (clocks of one host). */
const CLOCK_SLACK_MS = 10 * 60_000
const PAGE = 200

/**
 * After a crash (start-up, before any run starts): a rename journalled and never ended stopped
 * between its directory and its tasks. Its tasks' transaction either committed, audit entry
 * `environment.rename` carrying the rename's id with it, or did not: the directory then takes the
 * new name or gets the old one back, so the tasks and the environment agree again.
 */
export async function recoverEnvironmentRenames(deps: { store: Store; environments: Environments }, log: (message: string) => void): Promise<void> {
  for (const rename of await deps.environments.pendingRenames()) {
    const committed = await renameCommitted(deps.store, rename.id, rename.at - CLOCK_SLACK_MS)
    await deps.environments.settleRename(rename.id, committed)
    log(
      committed
        ? `Environment '${rename.oldName}': a rename to '${rename.newName}' was interrupted after its tasks moved; the environment now has the new name`
        : `Environment '${rename.oldName}': a rename to '${rename.newName}' was interrupted before its tasks moved; the environment keeps its old name`,
    )
  }
}

/** True when the audit log holds the rename's entry (newest first, down to `since`). */
async function renameCommitted(store: Store, renameId: string, since: number): Promise<boolean> {
  let before: number | undefined
  for (;;) {
    const page = await store.auditLog.list({ limit: PAGE, ...(before === undefined ? {} : { before }) })
    for (const entry of page) {
      if (entry.action === 'environment.rename' && entry.details?.rename_id === renameId) return true
      if (entry.at < since) return false
    }
    if (page.length < PAGE) return false
    before = page.at(-1)!.id
  }
}
