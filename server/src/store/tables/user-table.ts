import type { Kysely } from 'kysely'
import { TaskyardError } from '../../domain/errors.ts'
import type { NewUser, Role, User, UserPatch, UserWithPasswordHash } from '../../domain/user.ts'
import type { Database, UserRow } from '../database.ts'
import { toRow } from '../row-mapping.ts'
import type { DialectName, UserTable } from '../store.ts'
import { firstCompiled } from '../compiled-queries.ts'
import { isUniqueViolation, type UniqueIndex } from '../unique-violation.ts'

const USERNAME_INDEX: UniqueIndex = { name: 'users_username_unique', table: 'users', columns: ['username'] }

const NEW_USER_FIELDS: Record<keyof NewUser, true> = {
  username: true,
  passwordHash: true,
  role: true,
  disabled: true,
  createdAt: true,
  updatedAt: true,
  credentialsChangedAt: true,
}

const PATCH_FIELDS: Record<keyof UserPatch, true> = {
  role: true,
  disabled: true,
  updatedAt: true,
  credentialsChangedAt: true,
  passwordHash: true,
}

/** Every column but password_hash: reads other than findByUsername never carry the hash. */
const USER_COLUMNS = ['id', 'username', 'role', 'disabled', 'created_at', 'updated_at', 'credentials_changed_at'] as const

/** A duplicate username, in the words of spec 000's duplicate task name. */
export function usernameTaken(username: string): TaskyardError {
  return new TaskyardError('name_taken', 'User with this username already exists', {
    error: `User with username '${username}' already exists`,
  })
}

function toUser(row: Omit<UserRow, 'password_hash'>): User {
  return {
    id: row.id,
    username: row.username,
    role: row.role as Role,
    // SQLite answers 0 or 1.
    disabled: row.disabled === true || row.disabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    credentialsChangedAt: row.credentials_changed_at,
  }
}

/** The users table on `db`, which may be a transaction. */
export function userTable(db: Kysely<Database>, dialect: DialectName): UserTable {
  async function findById(id: number): Promise<User | undefined> {
    // Issue 10: every authenticated request reads its user; compiled once.
    const row = await firstCompiled(db, `${dialect} users.findById`, [id], (id) => db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id))
    return row && toUser(row)
  }

  return {
    async insert(user) {
      // Checked first so the common case does not abort an enclosing PostgreSQL transaction;
      // the unique index settles a race.
      const holder = await db.selectFrom('users').select('id').where('username', '=', user.username).executeTakeFirst()
      if (holder) throw usernameTaken(user.username)
      try {
        const row = await db.insertInto('users').values(toRow(user, NEW_USER_FIELDS)).returning(USER_COLUMNS).executeTakeFirstOrThrow()
        return toUser(row)
      } catch (error) {
        if (isUniqueViolation(error, USERNAME_INDEX)) throw usernameTaken(user.username)
        throw error
      }
    },

    findById,

    async findByUsername(username): Promise<UserWithPasswordHash | undefined> {
      const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst()
      return row && { ...toUser(row), passwordHash: row.password_hash }
    },

    async list() {
      const rows = await db.selectFrom('users').select(USER_COLUMNS).orderBy('id').execute()
      return rows.map(toUser)
    },

    async update(id, patch) {
      const values = toRow(patch, PATCH_FIELDS)
      if (Object.keys(values).length === 0) return findById(id)
      const row = await db.updateTable('users').set(values).where('id', '=', id).returning(USER_COLUMNS).executeTakeFirst()
      return row && toUser(row)
    },

    async count() {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow()
      return Number(row.count)
    },
  }
}
