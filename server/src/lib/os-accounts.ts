/** Local OS accounts: looking one up (through NSS, as `getent` does) and creating a system account. */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface OsAccount {
  /** The user name, or `uid:gid` for ids that have none. */
  name: string
  uid: number
  gid: number
}

/** A user name the system tools accept (useradd's default NAME_REGEX, upper case allowed). */
export const USER_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/
/** `uid:gid`, both decimal. */
export const UID_GID_PATTERN = /^(\d{1,10}):(\d{1,10})$/

async function getentPasswd(key: string): Promise<{ name: string; uid: number; gid: number } | null> {
  try {
    const { stdout } = await run('getent', ['passwd', key], { timeout: 10_000 })
    const [name, , uid, gid] = stdout.trim().split('\n')[0]!.split(':')
    if (name === undefined || uid === undefined || gid === undefined) return null
    return { name, uid: Number(uid), gid: Number(gid) }
  } catch (error) {
    // getent exits 2 when the key is not found.
    if ((error as { code?: unknown }).code === 2) return null
    throw error
  }
}

/**
 * The account `spec` names: a user name (its primary group), or `uid:gid` (named after the user
 * with that uid when there is one). Null when no such user exists. Ids need no entry: a bare
 * uid:gid is what containers often use.
 */
export async function lookupAccount(spec: string): Promise<OsAccount | null> {
  const ids = UID_GID_PATTERN.exec(spec)
  if (ids) {
    const uid = Number(ids[1])
    const gid = Number(ids[2])
    const entry = await getentPasswd(String(uid))
    return { name: entry?.name ?? spec, uid, gid }
  }
  if (!USER_NAME_PATTERN.test(spec)) return null
  return getentPasswd(spec)
}

/**
 * Creates a system account without a home or a login shell; resolves to it, or null (with the
 * reason) when useradd is missing or refuses.
 */
export async function createSystemAccount(name: string): Promise<{ account: OsAccount | null; problem: string | null }> {
  try {
    await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', name], { timeout: 30_000 })
  } catch (error) {
    const existing = await lookupAccount(name)
    // Another process may have created it at the same moment: that is as good.
    if (existing) return { account: existing, problem: null }
    const e = error as { stderr?: string; message?: string }
    return { account: null, problem: (e.stderr || e.message || String(error)).trim() }
  }
  return { account: await lookupAccount(name), problem: null }
}
