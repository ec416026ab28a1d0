import { insufficientPrivileges } from '../../domain/errors.ts'
import { canRunOn, type Server } from '../../domain/server.ts'
import type { User } from '../../domain/user.ts'

/** Issue 12: only admins register, change, test and delete servers. */
export function assertServerAdmin(user: Pick<User, 'role'>, what: string): void {
  if (user.role !== 'admin') throw insufficientPrivileges(what)
}

/** Admins, and operators an admin allowed on this server, may run commands on it. */
export function assertMayRunOn(user: Pick<User, 'id' | 'role'>, server: Server): void {
  if (!canRunOn(user, server)) throw insufficientPrivileges(`run commands on server '${server.name}'`)
}
