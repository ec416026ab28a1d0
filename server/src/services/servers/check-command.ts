import { checkCommand, DEFAULT_DENY_LIST, type DenyListSettings } from '../../domain/command-deny-list.ts'
import { TaskyardError } from '../../domain/errors.ts'

/** spec 001: a denied command is refused before anything is sent; the answer names the rule and why. */
export function assertCommandAllowed(command: string, settings: DenyListSettings = DEFAULT_DENY_LIST): void {
  const verdict = checkCommand(command, settings)
  if (verdict.allowed) return
  throw new TaskyardError('command_denied', 'Command refused by the deny-list', { error: `${verdict.reason} (rule ${verdict.rule})`, rule: verdict.rule })
}
