/** Route schemas of registered servers (issue 12): request validation, response shapes, OpenAPI. */
import { errorRef, errorResponses, okMessage } from './shared.ts'

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', description: 'The server id' } },
  required: ['id'],
} as const

const errors = { 400: errorRef, 403: errorRef, 404: { ...errorRef, description: 'server_not_found' }, ...errorResponses } as const

const fingerprint = { type: ['string', 'null'], description: 'OpenSSH SHA256 fingerprint, `SHA256:…`' } as const

/** A registered server as http/present/server.ts presents it (components.schemas.Server). */
export const serverSchema = {
  $id: 'Server',
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'name',
    'host',
    'port',
    'username',
    'auth_method',
    'labels',
    'description',
    'host_key_fingerprint',
    'offered_host_key_fingerprint',
    'operator_ids',
    'created_at',
    'updated_at',
  ],
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'integer' },
    username: { type: 'string' },
    auth_method: { type: 'string', enum: ['password', 'key'] },
    labels: { type: 'array', items: { type: 'string' } },
    description: { type: 'string' },
    host_key_fingerprint: { ...fingerprint, description: 'The pinned host key; null until the first connection pins it' },
    offered_host_key_fingerprint: { ...fingerprint, description: 'A different key the host offered, refused until an admin accepts it' },
    operator_ids: { type: 'array', items: { type: 'integer' }, description: 'Operators allowed to run commands on this server' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
} as const

const server = { $ref: 'Server#' } as const

const serverFields = {
  name: { type: 'string', minLength: 1, maxLength: 100 },
  host: { type: 'string', minLength: 1, maxLength: 253 },
  port: { type: 'integer', minimum: 1, maximum: 65535, description: 'Default 22' },
  username: { type: 'string', minLength: 1, maxLength: 64 },
  password: { type: 'string', maxLength: 4096, description: 'Write-only: sealed at rest, never returned' },
  private_key: { type: 'string', maxLength: 65536, description: 'Write-only: an OpenSSH or PEM private key' },
  passphrase: { type: 'string', maxLength: 4096, description: 'Write-only: the private key’s passphrase' },
  labels: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 50 }, maxItems: 20 },
  description: { type: 'string', maxLength: 1000 },
  operator_ids: { type: 'array', items: { type: 'integer', minimum: 1 }, maxItems: 1000 },
} as const

const oneServer = {
  type: 'object',
  additionalProperties: false,
  required: ['success', 'server'],
  properties: { success: { type: 'boolean' }, message: { type: 'string' }, server },
} as const

export const listServersSchema = {
  tags: ['servers'],
  summary: 'Registered servers, by id (any logged-in user; secrets are never shown)',
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['success', 'servers'],
      properties: { success: { type: 'boolean' }, servers: { type: 'array', items: server } },
    },
    ...errorResponses,
  },
} as const

export const getServerSchema = { tags: ['servers'], summary: 'One registered server', params: idParams, response: { 200: oneServer, ...errors } } as const

export const createServerSchema = {
  tags: ['servers'],
  summary: 'Register a server (admins): password or private key, sealed with AES-256-GCM',
  body: { type: 'object', required: ['name', 'host', 'username'], properties: serverFields },
  response: { 201: oneServer, ...errors },
} as const

export const updateServerSchema = {
  tags: ['servers'],
  summary: 'Change a server (admins); a new host or port drops the pinned host key',
  params: idParams,
  body: { type: 'object', properties: serverFields },
  response: { 200: oneServer, ...errors },
} as const

export const deleteServerSchema = {
  tags: ['servers'],
  summary: 'Delete a server (admins); refused while tasks use it unless force=true',
  params: idParams,
  querystring: { type: 'object', properties: { force: { type: 'boolean' } } },
  response: {
    200: okMessage,
    409: { ...errorRef, description: 'server_in_use: referencing_tasks names them' },
    ...errors,
  },
} as const

export const testServerSchema = {
  tags: ['servers'],
  summary: 'Connect and run `true` (admins): latency and host key; the first key seen is pinned',
  params: idParams,
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['success', 'latency_ms', 'host_key_fingerprint', 'host_key_pinned', 'server'],
      properties: {
        success: { type: 'boolean' },
        latency_ms: { type: 'number', description: 'Connect, authenticate and run `true`' },
        host_key_fingerprint: { type: 'string' },
        host_key_pinned: { type: 'boolean', description: 'True when this test pinned the key (first use)' },
        server,
      },
    },
    409: { ...errorRef, description: 'host_key_changed: the host offered another key than the pinned one' },
    502: { ...errorRef, description: 'server_unreachable' },
    ...errors,
  },
} as const

export const acceptHostKeySchema = {
  tags: ['servers'],
  summary: 'Accept the host key the server last offered (admins), naming its fingerprint',
  params: idParams,
  body: { type: 'object', required: ['fingerprint'], properties: { fingerprint: { type: 'string', minLength: 1 } } },
  response: { 200: oneServer, ...errors },
} as const
