/** What a client may set on a server, checked beyond the route schema's types (issue 12). */
import { TaskyardError } from '../../domain/errors.ts'
import type { ServerCredentials } from '../../domain/server.ts'
import type { ServiceDeps } from '../deps.ts'

export interface ServerFields {
  name?: string
  host?: string
  port?: number
  username?: string
  password?: string
  privateKey?: string
  passphrase?: string
  labels?: string[]
  description?: string
  operatorIds?: number[]
}

const HOST = /^(?!-)[A-Za-z0-9._:-]{1,253}$/
const USERNAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/

export const invalidServer = (error: string): TaskyardError => new TaskyardError('invalid_input', 'Invalid request', { error })

/** Checks the plain fields; throws invalid_input naming the first one at fault. */
export function checkServerFields(fields: ServerFields): void {
  if (fields.name !== undefined && (fields.name.trim() === '' || fields.name !== fields.name.trim() || /[\p{Cc}]/u.test(fields.name))) {
    throw invalidServer('name must be non-blank, without surrounding spaces or control characters')
  }
  if (fields.host !== undefined && !HOST.test(fields.host)) throw invalidServer('host must be a host name or an IP address')
  if (fields.username !== undefined && !USERNAME.test(fields.username)) throw invalidServer("username must be 1-64 letters, digits, '.', '_' or '-'")
  if (fields.labels !== undefined && fields.labels.some((label) => label.trim() === '' || label !== label.trim())) {
    throw invalidServer('labels must be non-blank, without surrounding spaces')
  }
}

/** The credentials the fields give, or null when they give none; throws when they give a wrong mix. */
export function credentialsFrom(deps: Pick<ServiceDeps, 'ssh'>, fields: ServerFields): ServerCredentials | null {
  if (fields.password !== undefined && fields.privateKey !== undefined) throw invalidServer('give either password or private_key, not both')
  if (fields.passphrase !== undefined && fields.privateKey === undefined) throw invalidServer('passphrase goes with private_key')
  if (fields.password !== undefined) {
    if (fields.password === '') throw invalidServer('password must not be empty')
    return { kind: 'password', password: fields.password }
  }
  if (fields.privateKey === undefined) return null
  const passphrase = fields.passphrase ?? null
  const problem = deps.ssh.privateKeyProblem(fields.privateKey, passphrase)
  if (problem) throw invalidServer(problem)
  return { kind: 'key', privateKey: fields.privateKey, passphrase }
}

/** Every id must name an operator: admins run anywhere already, viewers never run. */
export async function checkOperatorIds(deps: Pick<ServiceDeps, 'store'>, ids: readonly number[] | undefined): Promise<number[] | undefined> {
  if (ids === undefined) return undefined
  const unique = [...new Set(ids)].sort((a, b) => a - b)
  for (const id of unique) {
    const user = await deps.store.users.findById(id)
    if (user?.role !== 'operator') throw invalidServer(`operator_ids: user ${id} is not an operator`)
  }
  return unique
}

export const uniqueLabels = (labels: readonly string[] | undefined): string[] | undefined => labels && [...new Set(labels)]
