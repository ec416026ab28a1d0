import { checkCommand, DEFAULT_DENY_LIST, type DenyListSettings } from '../../domain/command-deny-list.ts'
import { TaskyardError } from '../../domain/errors.ts'
import type { ServiceDeps } from '../deps.ts'

/** spec 001: a denied command is refused before anything is sent; the answer names the rule and why. */
export function assertCommandAllowed(command: string, settings: DenyListSettings = DEFAULT_DENY_LIST): void {
  const verdict = checkCommand(command, settings)
  if (verdict.allowed) return
  throw new TaskyardError('command_denied', 'Command refused by the deny-list', { error: `${verdict.reason} (rule ${verdict.rule})`, rule: verdict.rule })
}

/**
 * A task's command as it is set (create, PUT): on a server always checked, on this machine
 * unless an admin switched the local check off (TASKYARD_DENY_LIST_LOCAL=off).
 */
export async function assertTaskCommandAllowed(deps: Pick<ServiceDeps, 'store' | 'settings'>, taskId: number | null, command: string): Promise<void> {
  const { local, disabledRules, extraPrograms } = deps.settings.commandDenyList
  const remote = taskId !== null && (await deps.store.servers.findTaskServer(taskId)) !== null
  if (!remote && !local) return
  assertCommandAllowed(command, { enabled: true, disabledRules, extraPrograms })
}
