import type { TFunction } from 'i18next'
import type { User } from '../api/models'

/** Why a viewer (who only reads) cannot use a button; null for the roles that may act. */
export function roleWhy(role: User['role'] | undefined, t: TFunction): string | null {
  if (role === undefined || role === 'viewer') return t('actions.why.role', { role: t(`users.roles.${role ?? 'viewer'}`) })
  return null
}

/** Why a non-admin cannot use an admin's button; null for an admin. */
export function adminWhy(role: User['role'] | undefined, t: TFunction): string | null {
  return role === 'admin' ? null : t('common.adminOnly')
}
