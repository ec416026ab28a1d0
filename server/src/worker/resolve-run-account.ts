/**
 * Which account runs get (issue 6), decided once at start: when the server is root, never root
 * itself unless TASKYARD_RUN_AS=server says so; when it is not, the server's own (it can do no other).
 */
import type { RunAccount, RunAsSetting } from '../domain/run-account.ts'
import { createSystemAccount, lookupAccount } from '../lib/os-accounts.ts'

export const DEFAULT_RUN_ACCOUNT = 'taskyard-run'
const FALLBACK_RUN_ACCOUNT = 'nobody'

export interface RunAccountDecision {
  /** null = the server's own account. */
  account: RunAccount | null
  /** The one line start-up prints about it. */
  message: string
}

export async function resolveRunAccount(setting: RunAsSetting, serverUid: number): Promise<RunAccountDecision> {
  if (serverUid !== 0) {
    const ignored = setting.kind === 'user' || setting.kind === 'ids' ? ' (TASKYARD_RUN_AS is ignored: switching accounts needs root)' : ''
    return {
      account: null,
      message:
        `Taskyard is not running as root: runs execute as this server's own user (uid ${serverUid}) and can read ` +
        `whatever it can${ignored}. Run isolation below hides the data directory where the system allows it.`,
    }
  }
  if (setting.kind === 'server') {
    return { account: null, message: 'WARNING: TASKYARD_RUN_AS=server: runs execute as root, with every privilege of this server.' }
  }
  if (setting.kind === 'user' || setting.kind === 'ids') {
    const spec = setting.kind === 'user' ? setting.name : `${setting.uid}:${setting.gid}`
    const account = await lookupAccount(spec)
    if (!account) throw new Error(`TASKYARD_RUN_AS names the user '${spec}', which does not exist on this host`)
    if (account.uid === 0) return { account: null, message: `WARNING: TASKYARD_RUN_AS=${spec} is root: runs execute with every privilege of this server.` }
    return { account, message: `Runs execute as ${describe(account)} (TASKYARD_RUN_AS).` }
  }
  const existing = await lookupAccount(DEFAULT_RUN_ACCOUNT)
  if (existing) return { account: existing, message: `Runs execute as ${describe(existing)}.` }
  const created = await createSystemAccount(DEFAULT_RUN_ACCOUNT)
  if (created.account) return { account: created.account, message: `Created the system account ${describe(created.account)}; runs execute as it.` }
  const nobody = await lookupAccount(FALLBACK_RUN_ACCOUNT)
  if (!nobody) {
    throw new Error(
      `Could not create the account '${DEFAULT_RUN_ACCOUNT}' (${created.problem}) and there is no 'nobody': set TASKYARD_RUN_AS to a user or uid:gid`,
    )
  }
  return { account: nobody, message: `Could not create the account '${DEFAULT_RUN_ACCOUNT}' (${created.problem}); runs execute as ${describe(nobody)}.` }
}

function describe(a: RunAccount): string {
  return `${a.name} (uid ${a.uid}, gid ${a.gid})`
}
