/** The run policy fields of create and PUT (issue 6): run_as (admins only), memory_limit_mb, max_log_mb. */
import { insufficientPrivileges, TaskyardError } from '../domain/errors.ts'
import { parseMaxLogMb, parseMemoryLimitMb } from '../domain/run-limits.ts'
import type { Task } from '../domain/task.ts'
import type { Role } from '../domain/user.ts'
import type { ServiceDeps } from './deps.ts'

export interface RunPolicyInput {
  runAs?: unknown
  memoryLimitMb?: unknown
  maxLogMb?: unknown
}

type RunPolicy = Partial<Pick<Task, 'runAs' | 'memoryLimitMb' | 'maxLogMb'>>

/** Absent (undefined) leaves a field as it is; null or '' clears it (PUT); anything else is parsed. */
const clears = (v: unknown): boolean => v === null || (typeof v === 'string' && v.trim() === '')

/**
 * Parses the fields that are present. run_as from anyone but an admin is spec 000's 403 (it picks
 * the OS account the task's code runs as); a user this host does not have is a 400 naming it.
 */
export async function parseRunPolicy(deps: Pick<ServiceDeps, 'accounts' | 'settings'>, actorRole: Role, input: RunPolicyInput): Promise<RunPolicy> {
  const out: RunPolicy = {}
  if (input.runAs !== undefined) {
    if (actorRole !== 'admin') throw insufficientPrivileges('set the account a task runs as')
    if (clears(input.runAs)) out.runAs = null
    else {
      if (typeof input.runAs !== 'string') throw invalid('run_as must be a user name or uid:gid')
      const spec = input.runAs.trim()
      if (!deps.accounts.canSwitch) {
        throw invalid(`run_as needs the server to run as root; this one runs every task as its own user`)
      }
      const account = await deps.accounts.resolve(spec)
      if (!account) throw invalid(`run_as: there is no user '${spec}' on this host (give a user name or uid:gid)`)
      out.runAs = spec
    }
  }
  if (input.memoryLimitMb !== undefined) out.memoryLimitMb = clears(input.memoryLimitMb) ? null : parseMemoryLimitMb(input.memoryLimitMb)
  if (input.maxLogMb !== undefined) out.maxLogMb = clears(input.maxLogMb) ? null : parseMaxLogMb(input.maxLogMb, deps.settings.maxLogBytes)
  return out
}

function invalid(error: string): TaskyardError {
  return new TaskyardError('invalid_input', 'Invalid request', { error })
}
