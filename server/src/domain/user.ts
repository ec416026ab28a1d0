/**
 * A user of Taskyard and what their role lets them do to tasks (issue 3).
 * Pure: no I/O, no clock. Authentication lives in auth/, storage in store/.
 */

export const ROLES = ['admin', 'operator', 'viewer'] as const
/** admin: everything, users and settings; operator: creates tasks and controls its own; viewer: reads. */
export type Role = (typeof ROLES)[number]

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value)
}

export interface User {
  id: number
  username: string
  role: Role
  /** A disabled user cannot authenticate by any means; its rows stay for ownership and audit. */
  disabled: boolean
  createdAt: number
  updatedAt: number
  /**
   * Epoch ms of the last password change or disabling. Sessions, API tokens and JWTs issued
   * before it are dead, whatever their own expiry says: one write ends them all at once.
   */
  credentialsChangedAt: number
}

/** A user with its stored password hash: only the login path reads this. */
export interface UserWithPasswordHash extends User {
  /** The encoded scrypt hash (auth/passwords.ts), never the password. */
  passwordHash: string
}

export type NewUser = Omit<UserWithPasswordHash, 'id'>

/** Usernames are fixed once created: audit entries and throttle keys refer to them. */
export type UserPatch = Partial<Pick<UserWithPasswordHash, 'role' | 'disabled' | 'updatedAt' | 'credentialsChangedAt' | 'passwordHash'>>

/**
 * What can be done to tasks. `updateScript` (domain/task-actions.ts) is an `update`; listing
 * tasks is a `read` with no task.
 */
export type TaskPermission = 'read' | 'create' | 'trigger' | 'stop' | 'pause' | 'resume' | 'delete' | 'update'

/** 'all': any task; 'own': only tasks whose ownerId is the user's id; 'none': never. */
type Reach = 'all' | 'own' | 'none'

/**
 * The whole permission model as data. Every role reads every task: issue 3 lets a viewer read
 * "what it is shown" and there is no sharing yet, so today every task is shown to every user
 * (a small team sees one board). When sharing arrives, `read` becomes 'own'-or-shared and the
 * HTTP layer answers a hidden task with 404, not 403, so its existence does not leak.
 */
const REACH: Record<Role, Record<TaskPermission, Reach>> = {
  admin: { read: 'all', create: 'all', trigger: 'all', stop: 'all', pause: 'all', resume: 'all', delete: 'all', update: 'all' },
  operator: { read: 'all', create: 'all', trigger: 'own', stop: 'own', pause: 'own', resume: 'own', delete: 'own', update: 'own' },
  viewer: { read: 'all', create: 'none', trigger: 'none', stop: 'none', pause: 'none', resume: 'none', delete: 'none', update: 'none' },
}

/**
 * Whether `user` may do `action` to `task` (null: an action on no particular task, such as
 * creating one or listing them). A task with ownerId null was created before accounts existed:
 * only admins may change it, because no operator can be shown to own it.
 */
export function can(user: Pick<User, 'id' | 'role'>, action: TaskPermission, task: { ownerId: number | null } | null): boolean {
  const reach = REACH[user.role][action]
  if (reach === 'all') return true
  if (reach === 'none') return false
  return task !== null && task.ownerId !== null && task.ownerId === user.id
}

/** What can be done to environments (000a). Reading them is every role's. */
export type EnvironmentPermission = 'read' | 'create' | 'rename' | 'install' | 'uninstall' | 'delete'

/** Issue 9: admins and operators manage environments (they are shared, not owned); viewers read. */
const ENVIRONMENT_ROLES: Record<EnvironmentPermission, readonly Role[]> = {
  read: ['admin', 'operator', 'viewer'],
  create: ['admin', 'operator'],
  rename: ['admin', 'operator'],
  install: ['admin', 'operator'],
  uninstall: ['admin', 'operator'],
  delete: ['admin', 'operator'],
}

export function canOnEnvironments(user: Pick<User, 'role'>, action: EnvironmentPermission): boolean {
  return ENVIRONMENT_ROLES[action].includes(user.role)
}
