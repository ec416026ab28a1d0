import type { Kysely } from 'kysely'
import { TaskyardError } from '../../domain/errors.ts'
import type { NewServer, Server, ServerPatch } from '../../domain/server.ts'
import type { Database, ServersTable } from '../database.ts'
import type { DialectName, ServerTable } from '../store.ts'
import { firstCompiled } from '../compiled-queries.ts'
import { listTaskPage } from './task-page.ts'
import { isUniqueViolation, type UniqueIndex } from '../unique-violation.ts'

const NAME_INDEX: UniqueIndex = { name: 'servers_name_unique', table: 'servers', columns: ['name'] }

/** Every column but sealed_secret: what a server is, not what logs in to it. */
const SERVER_COLUMNS = [
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
  'created_by',
  'created_at',
  'updated_at',
] as const

type ServerRow = Pick<ServersTable, Exclude<(typeof SERVER_COLUMNS)[number], 'id'>> & { id: number }

function fromServerRow(row: ServerRow): Server {
  return {
    id: Number(row.id),
    name: row.name,
    host: row.host,
    port: Number(row.port),
    username: row.username,
    authMethod: row.auth_method,
    labels: JSON.parse(row.labels) as string[],
    description: row.description,
    hostKeyFingerprint: row.host_key_fingerprint,
    offeredHostKeyFingerprint: row.offered_host_key_fingerprint,
    operatorIds: JSON.parse(row.operator_ids) as number[],
    createdBy: row.created_by === null ? null : Number(row.created_by),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}

/** The patch's columns; fields it leaves undefined are not touched. */
function toServerColumns(patch: ServerPatch): Partial<Omit<ServersTable, 'id'>> {
  const columns: Partial<Omit<ServersTable, 'id'>> = {
    name: patch.name,
    host: patch.host,
    port: patch.port,
    username: patch.username,
    auth_method: patch.authMethod,
    labels: patch.labels && JSON.stringify(patch.labels),
    description: patch.description,
    host_key_fingerprint: patch.hostKeyFingerprint,
    offered_host_key_fingerprint: patch.offeredHostKeyFingerprint,
    operator_ids: patch.operatorIds && JSON.stringify(patch.operatorIds),
    updated_at: patch.updatedAt,
  }
  for (const key of Object.keys(columns) as (keyof typeof columns)[]) if (columns[key] === undefined) delete columns[key]
  return columns
}

function nameTaken(error: unknown): unknown {
  return isUniqueViolation(error, NAME_INDEX) ? new TaskyardError('server_exists', 'Server with this name already exists') : error
}

/** The servers and task_servers tables on `db`, which may be a transaction. */
export function serverTable(db: Kysely<Database>, dialect: DialectName): ServerTable {
  const findById = async (id: number): Promise<Server | undefined> => {
    const row = await db.selectFrom('servers').select(SERVER_COLUMNS).where('id', '=', id).executeTakeFirst()
    return row && fromServerRow(row)
  }
  return {
    async insert(server: NewServer, sealedSecret) {
      try {
        const row = await db
          .insertInto('servers')
          .values({
            ...(toServerColumns(server) as Omit<ServersTable, 'id' | 'sealed_secret' | 'created_by' | 'created_at'>),
            sealed_secret: sealedSecret,
            created_by: server.createdBy,
            created_at: server.createdAt,
          })
          .returning(SERVER_COLUMNS)
          .executeTakeFirstOrThrow()
        return fromServerRow(row)
      } catch (error) {
        throw nameTaken(error)
      }
    },

    findById,

    async findSealedSecret(id) {
      const row = await db.selectFrom('servers').select('sealed_secret').where('id', '=', id).executeTakeFirst()
      return row?.sealed_secret
    },

    async list() {
      const rows = await db.selectFrom('servers').select(SERVER_COLUMNS).orderBy('id').execute()
      return rows.map(fromServerRow)
    },

    async update(id, patch, sealedSecret) {
      const columns = { ...toServerColumns(patch), ...(sealedSecret === undefined ? {} : { sealed_secret: sealedSecret }) }
      if (Object.keys(columns).length === 0) return findById(id)
      try {
        const row = await db.updateTable('servers').set(columns).where('id', '=', id).returning(SERVER_COLUMNS).executeTakeFirst()
        return row && fromServerRow(row)
      } catch (error) {
        throw nameTaken(error)
      }
    },

    async pinHostKey(id, fingerprint, now) {
      await db
        .updateTable('servers')
        .set({ host_key_fingerprint: fingerprint, offered_host_key_fingerprint: null, updated_at: now })
        .where('id', '=', id)
        .where('host_key_fingerprint', 'is', null)
        .execute()
      return findById(id)
    },

    async delete(id) {
      // task_servers rows go by the foreign key's cascade.
      const result = await db.deleteFrom('servers').where('id', '=', id).executeTakeFirst()
      return result.numDeletedRows > 0n
    },

    async setTaskServer(taskId, serverId) {
      await db.deleteFrom('task_servers').where('task_id', '=', taskId).execute()
      if (serverId !== null) await db.insertInto('task_servers').values({ task_id: taskId, server_id: serverId }).execute()
    },

    async findTaskServer(taskId) {
      // Issue 10: every trigger asks (task-permission.ts); compiled once.
      const row = await firstCompiled(db, `${dialect} servers.findTaskServer`, [taskId], (taskId) =>
        db.selectFrom('task_servers').select('server_id').where('task_id', '=', taskId),
      )
      return row ? Number(row.server_id) : null
    },

    listTaskPage: (filter) => listTaskPage(db, filter),

    async listTaskIds(serverId) {
      const rows = await db.selectFrom('task_servers').select('task_id').where('server_id', '=', serverId).orderBy('task_id').execute()
      return rows.map((row) => Number(row.task_id))
    },
  }
}
