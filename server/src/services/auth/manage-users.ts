import { hashPassword, passwordProblem } from '../../auth/passwords.ts'
import { authenticationRequired, insufficientPrivileges, TaskyardError } from '../../domain/errors.ts'
import { isUsername } from '../../domain/names.ts'
import type { Role, User, UserPatch } from '../../domain/user.ts'
import type { ServiceDeps } from '../deps.ts'
import { recordAudit, type Actor } from './record-audit.ts'

const invalid = (error: string): TaskyardError => new TaskyardError('invalid_input', 'Invalid request', { error })

function checkPassword(password: string): string {
  const problem = passwordProblem(password)
  if (problem) throw invalid(problem)
  return password
}

/** Users, their roles and the audit log are the admins' (issue 3); `what` words spec 000's 403. */
export function assertAdmin(actor: Actor, what: string): void {
  if (!actor.user) throw authenticationRequired()
  if (actor.user.role !== 'admin') throw insufficientPrivileges(what)
}

export function listUsers(deps: ServiceDeps, actor: Actor): Promise<User[]> {
  assertAdmin(actor, 'manage users')
  return deps.store.users.list()
}

/** Admins only. The user and its audit entry are one transaction. */
export async function createUser(deps: ServiceDeps, actor: Actor, input: { username: string; password: string; role: Role }): Promise<User> {
  assertAdmin(actor, 'manage users')
  if (!isUsername(input.username)) throw invalid("username must be 1-64 letters, digits, '.', '_' or '-'")
  const password = checkPassword(input.password)
  if (await deps.store.users.findByUsername(input.username)) {
    throw new TaskyardError('name_taken', 'User already exists', { error: `User '${input.username}' already exists` })
  }
  const now = deps.clock.now()
  const passwordHash = await hashPassword(password)
  return deps.store.transaction(async (tx) => {
    const user = await tx.users.insert({
      username: input.username,
      role: input.role,
      disabled: false,
      passwordHash,
      createdAt: now,
      updatedAt: now,
      credentialsChangedAt: now,
    })
    await recordAudit(tx, deps.clock, actor, 'user.create', { type: 'user', id: user.id }, { username: user.username, role: user.role })
    return user
  })
}

/**
 * Admins only. Changes role, disabled and/or password. Disabling or a new password ends every
 * session, token and open log stream of the user at once: one timestamp makes all older
 * credentials dead. The change and its audit entry are one transaction.
 */
export async function updateUser(
  deps: ServiceDeps,
  actor: Actor,
  userId: number,
  input: { role?: Role | undefined; disabled?: boolean | undefined; password?: string | undefined },
): Promise<User> {
  assertAdmin(actor, 'manage users')
  const current = Number.isSafeInteger(userId) ? await deps.store.users.findById(userId) : undefined
  if (!current) throw new TaskyardError('user_not_found', `User with ID ${userId} not found`)
  const now = deps.clock.now()
  const patch: UserPatch = { updatedAt: now }
  if (input.role !== undefined) patch.role = input.role
  if (input.disabled !== undefined) patch.disabled = input.disabled
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
    await recordAudit(
      tx,
      deps.clock,
      actor,
      'user.update',
      { type: 'user', id: userId },
      {
        ...(patch.role ? { role: patch.role } : {}),
        ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
        ...(patch.passwordHash ? { password: 'changed' } : {}),
      },
    )
    return user
  })
  if (revokes) deps.bus.emit('user:revoked', { userId })
  return updated
}
