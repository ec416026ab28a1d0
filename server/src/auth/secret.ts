/**
 * Keys kept in the data directory: the one that signs access tokens (JWTs) and the one that seals
 * server secrets (issue 12). Each is configured, or generated once and kept on disk.
 */
import { randomBytes } from 'node:crypto'
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises'
import path from 'node:path'

/** HS256 wants a key at least as long as its hash (RFC 7518 §3.2). */
export const MIN_SECRET_BYTES = 32
export const SECRET_FILE = 'secret.key'

/** Which key: its file in the data directory, the setting that overrides it, and what it is for. */
export interface KeyKind {
  file: string
  setting: string
  purpose: string
  /** What deleting a damaged key file costs, for its error message. */
  whenLost: string
}

export const SIGNING_KEY: KeyKind = {
  file: SECRET_FILE,
  setting: 'TASKYARD_SECRET',
  purpose: 'signing secret',
  whenLost: 'everyone signed in must then log in again',
}
/** AES-256-GCM key of server passwords and private keys; a copied database is useless without it. */
export const SEALING_KEY: KeyKind = {
  file: 'secret-seal.key',
  setting: 'TASKYARD_SECRET_KEY',
  purpose: 'secret-sealing key',
  whenLost: 'every server password and key must then be entered again',
}

/**
 * A configured secret (its UTF-8 bytes) wins; one shorter than 32 bytes is refused, because a
 * short HMAC key can be brute-forced from any token it signed. Without one, the secret is read
 * from `<dataDir>/secret.key`, which the first start creates (32 random bytes, base64, mode 0600).
 * Every Taskyard process that shares a database must share the secret: configure it when they
 * do not share a data directory.
 */
export async function loadOrCreateSecret(dataDir: string, configured: string | null, kind: KeyKind = SIGNING_KEY): Promise<Buffer> {
  if (configured !== null) {
    const bytes = Buffer.from(configured, 'utf8')
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new Error(
        `The configured ${kind.purpose} (${kind.setting}) is ${bytes.length} bytes; it must be at least ${MIN_SECRET_BYTES}. ` +
          `Generate one with: openssl rand -base64 48`,
      )
    }
    return bytes
  }
  const file = path.join(dataDir, kind.file)
  const existing = await readSecretFile(file, kind)
  if (existing !== null) return existing
  await mkdir(dataDir, { recursive: true })
  return createSecretFile(file, kind)
}

async function readSecretFile(file: string, kind: KeyKind): Promise<Buffer | null> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
  const secret = Buffer.from(text.trim(), 'base64')
  if (secret.length < MIN_SECRET_BYTES) {
    throw new Error(
      `${file} holds ${secret.length} bytes of secret, fewer than ${MIN_SECRET_BYTES}: it is damaged. ` + `Delete it to generate a new one (${kind.whenLost}).`,
    )
  }
  return secret
}

/**
 * Writes the whole file under a temporary name, then links it into place: link fails if the
 * name exists, so when two processes start at once exactly one secret wins, and the loser reads
 * the winner's instead of keeping a secret nobody else has. Nobody ever sees a half-written file.
 */
async function createSecretFile(file: string, kind: KeyKind): Promise<Buffer> {
  const secret = randomBytes(MIN_SECRET_BYTES)
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const handle = await open(temp, 'wx', 0o600)
  try {
    // The mode given to open() is filtered by the umask; chmod states it outright.
    await handle.chmod(0o600)
    await handle.writeFile(`${secret.toString('base64')}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await link(temp, file)
    return secret
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const winner = await readSecretFile(file, kind)
    if (winner === null) throw error
    return winner
  } finally {
    await unlink(temp)
  }
}
