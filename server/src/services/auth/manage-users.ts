import { hashPassword, passwordProblem } from '../../auth/passwords.ts'
import { TaskyardError } from '../../domain/errors.ts'
import { isRole, type User, type UserPatch } from '../../domain/user.ts'
import type { ServiceDeps } from '../deps.ts'
import { recordAudit, type Actor } from './record-audit.ts'

const USERNAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/

const invalid = (error: string): TaskyardError => new TaskyardError('invalid_input', 'Invalid request', { error })

function checkPassword(password: unknown): string {
  if (typeof password !== 'string') throw invalid('password is required')
  const problem = passwordProblem(password)
  if (problem) throw invalid(problem)
  return password
}

export function listUsers(deps: ServiceDeps): Promise<User[]> {
  return deps.store.users.list()
}

/** Admins only (checked by the caller). */
export async function createUser(deps: ServiceDeps, actor: Actor, input: { username: unknown; password: unknown; role: unknown }): Promise<User> {
  if (typeof input.username !== 'string' || !USERNAME.test(input.username)) {
    throw invalid("username must be 1-64 letters, digits, '.', '_' or '-'")
  }
  if (!isRole(input.role)) throw invalid("role must be 'admin', 'operator' or 'viewer'")
  const password = checkPassword(input.password)
  if (await deps.store.users.findByUsername(input.username)) {
    throw new TaskyardError('name_taken', 'User already exists', { error: `User '${input.username}' already exists` })
  }
  const now = deps.clock.now()
  const user = await deps.store.users.insert({
    username: input.username,
    role: input.role,
    disabled: false,
    passwordHash: await hashPassword(password),
    createdAt: now,
    updatedAt: now,
    credentialsChangedAt: now,
  })
  await recordAudit(deps, actor, 'user.create', { type: 'user', id: user.id }, { username: user.username, role: user.role })
  return user
}

/**
 * Changes role, disabled and/or password. Disabling or a new password ends every session,
 * token and open log stream of the user at once: one timestamp makes all older credentials dead.
 */
export async function updateUser(
  deps: ServiceDeps,
  actor: Actor,
  userId: number,
  input: { role?: unknown; disabled?: unknown; password?: unknown },
): Promise<User> {
  const current = Number.isSafeInteger(userId) ? await deps.store.users.findById(userId) : undefined
  if (!current) throw new TaskyardError('user_not_found', `User with ID ${userId} not found`)
  const now = deps.clock.now()
  const patch: UserPatch = { updatedAt: now }
  if (input.role !== undefined) {
    if (!isRole(input.role)) throw invalid("role must be 'admin', 'operator' or 'viewer'")
    patch.role = input.role
  }
  if (input.disabled !== undefined) {
    if (typeof input.disabled !== 'boolean') throw invalid('disabled must be true or false')
    patch.disabled = input.disabled
  }
  if (input.password !== undefined) patch.passwordHash = await hashPassword(checkPassword(input.password))
  if (actor.user?.id === userId && (patch.disabled === true || (patch.role && patch.role !== 'admin'))) {
    throw invalid('An administrator cannot disable or demote their own account')
  }
  const revokes = patch.disabled === true || patch.passwordHash !== undefined
  if (revokes) patch.credentialsChangedAt = now
  const updated = await deps.store.transaction(async (tx) => {
    const user = (await tx.users.update(userId, patch))!
    if (revokes) {
      await tx.sessions.deleteForUser(userId)
      // Dead already by credentials_changed_at; marked so the owner's listing tells the truth.
      await tx.apiTokens.revokeAllForUser(userId, now)
    }
    return user
  })
  if (revokes) deps.bus.emit('user:revoked', { userId })
  await recordAudit(
    deps,
    actor,
    'user.update',
    { type: 'user', id: userId },
    {
      ...(patch.role ? { role: patch.role } : {}),
      ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
      ...(patch.passwordHash ? { password: 'changed' } : {}),
    },
  )
  return updated
}
