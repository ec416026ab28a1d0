import type { User } from '../../api/models'

export type EnvironmentAction = 'rename' | 'install' | 'remove' | 'delete' | 'export'
export type Role = User['role']

/** Why an environment action is unavailable now (an i18n key), or null when it applies. */
export type EnvironmentUnavailable = 'env.why.role' | 'env.why.base' | 'env.why.building' | 'env.why.noSelection' | 'env.why.noPackages'

/**
 * 000a's rules as the UI can know them: viewers read; `base` is never renamed or deleted; an
 * environment still building takes no change. Whether a running task uses it is the server's
 * call: its refusal names the tasks.
 */
export function environmentAvailability(
  action: EnvironmentAction,
  env: { name: string; status?: string | undefined },
  role: Role,
  /** How many packages the action would touch, where it touches some: nothing typed or selected disables it. */
  selected?: number,
): EnvironmentUnavailable | null {
  if (action === 'export') return env.status === 'building' ? 'env.why.building' : null
  if (role === 'viewer') return 'env.why.role'
  if (env.status === 'building') return 'env.why.building'
  if ((action === 'rename' || action === 'delete') && env.name === 'base') return 'env.why.base'
  if (action === 'remove' && !selected) return 'env.why.noSelection'
  if (action === 'install' && selected === 0) return 'env.why.noPackages'
  return null
}

/** Package specs as typed: one per line or separated by spaces or commas, blanks dropped. */
export function parsePackageSpecs(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
}
