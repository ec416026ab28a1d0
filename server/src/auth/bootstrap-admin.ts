/** First start: the first user, `admin`, with no default password (issue 3). */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, rename, unlink } from 'node:fs/promises'
import path from 'node:path'
import type { Clock } from '../domain/clock.ts'
import { TaskyardError } from '../domain/errors.ts'
import type { Store } from '../store/store.ts'
import { generatePassword, hashPassword, passwordProblem } from './passwords.ts'

export const ADMIN_USERNAME = 'admin'
export const ADMIN_PASSWORD_FILE = 'admin-password.txt'

export interface EnsureAdminOptions {
  dataDir: string
  /** TASKYARD_ADMIN_PASSWORD; null: generate one. Used only when there is no user at all. */
  configuredPassword: string | null
  clock: Clock
  /** Where the generated password is shown, once (the console). */
  log(message: string): void
}

export type EnsureAdminResult =
  | { created: false }
  | { created: true; userId: number; password: 'configured' }
  | { created: true; userId: number; password: 'generated'; passwordFile: string }

/**
 * Creates `admin` if the database has no user at all; otherwise does nothing, so a later change
 * of the configured password never resets an existing account. Safe when several processes
 * start at once: the unique username decides, and only the winner writes the password file.
 */
export async function ensureAdmin(store: Pick<Store, 'users' | 'transaction'>, options: EnsureAdminOptions): Promise<EnsureAdminResult> {
  if ((await store.users.count()) > 0) return { created: false }
  const { configuredPassword, dataDir } = options
  if (configuredPassword !== null) {
    const problem = passwordProblem(configuredPassword)
    if (problem !== null) throw new Error(`The configured admin password (TASKYARD_ADMIN_PASSWORD) is not acceptable: ${problem}`)
  }
  const password = configuredPassword ?? generatePassword()
  const passwordHash = await hashPassword(password)

  // Written before the user exists, so a full disk or a read-only data directory fails the
  // start while a retry can still create the admin; renamed into place only once it does.
  const file = path.join(dataDir, ADMIN_PASSWORD_FILE)
  const temp = configuredPassword === null ? await writePrivateTemp(file, `${password}\n`) : null

  const now = options.clock.now()
  let userId: number
  try {
    userId = await store.transaction(async (tx) => {
      const user = await tx.users.insert({
        username: ADMIN_USERNAME,
        passwordHash,
        role: 'admin',
        disabled: false,
        createdAt: now,
        updatedAt: now,
        credentialsChangedAt: now,
      })
      await tx.auditLog.insert({
        at: now,
        actorUserId: null,
        actorUsername: null,
        action: 'user.create',
        targetType: 'user',
        targetId: String(user.id),
        details: { username: ADMIN_USERNAME, role: 'admin', reason: 'first start' },
        ip: null,
      })
      return user.id
    })
  } catch (error) {
    if (temp !== null) await unlink(temp)
    if (error instanceof TaskyardError && error.code === 'name_taken') return { created: false }
    throw error
  }

  if (temp === null) {
    options.log(`Created user '${ADMIN_USERNAME}' with the configured password (TASKYARD_ADMIN_PASSWORD).`)
    return { created: true, userId, password: 'configured' }
  }
  // Replaces a file left from an earlier database in this data directory: it is stale now.
  await rename(temp, file)
  options.log(
    `Created user '${ADMIN_USERNAME}' with the generated password: ${password}\n` +
      `It is shown only this once and kept in ${file} (readable by this user only). ` +
      `Change it after logging in, then delete that file.`,
  )
  return { created: true, userId, password: 'generated', passwordFile: file }
}

async function writePrivateTemp(file: string, content: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true })
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`
  const handle = await open(temp, 'wx', 0o600)
  try {
    await handle.writeFile(content)
    await handle.sync()
  } finally {
    await handle.close()
  }
  // The mode given to open() is filtered by the umask; chmod states it outright.
  await chmod(temp, 0o600)
  return temp
}
