/**
 * A registered server (issue 12, spec 001): an SSH target that shell tasks run on. Its secret
 * (password or private key) is not part of it: the store keeps it sealed, and only the code that
 * connects opens it. Pure: no I/O.
 */
import type { Role } from './user.ts'

export interface Server {
  id: number
  name: string
  host: string
  port: number
  username: string
  authMethod: 'password' | 'key'
  labels: string[]
  description: string
  /** The pinned host key (OpenSSH `SHA256:…`); null until the first connection pins it. */
  hostKeyFingerprint: string | null
  /** A different key the host offered after the pin, refused until an admin accepts it. */
  offeredHostKeyFingerprint: string | null
  /** Operators an admin allowed to run commands on this server (admins always may). */
  operatorIds: number[]
  createdBy: number | null
  createdAt: number
  updatedAt: number
}

/** What logs in. Never leaves the services except sealed into the store or into an SSH handshake. */
export type ServerCredentials = { kind: 'password'; password: string } | { kind: 'key'; privateKey: string; passphrase: string | null }

export type NewServer = Omit<Server, 'id'>
export type ServerPatch = Partial<Omit<Server, 'id' | 'createdBy' | 'createdAt'>>

/** Issue 12: admins manage servers and run anywhere; an operator runs only where an admin allowed it. */
export function canRunOn(user: { id: number; role: Role }, server: Pick<Server, 'operatorIds'>): boolean {
  if (user.role === 'admin') return true
  return user.role === 'operator' && server.operatorIds.includes(user.id)
}

/** The host-key decision of one handshake: first use pins, a match goes on, anything else is refused. */
export function judgeHostKey(pinned: string | null, offered: string): 'pin' | 'match' | 'changed' {
  if (pinned === null) return 'pin'
  return pinned === offered ? 'match' : 'changed'
}
