import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { loadConfig } from '../../src/config/config.ts'
import { startTaskyard, type RunningTaskyard } from '../../src/main.ts'
import { zipFiles } from '../helpers/zip.ts'

const PASSWORD = 'disk-full-admin-password'

/** A 2 MiB tmpfs as the whole data directory: a real full disk, not a mock of one. Needs root. */
function smallDisk(t: TestContext): string | null {
  const mountPoint = mkdtempSync(path.join(tmpdir(), 'taskyard-full-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint], { stdio: 'pipe' })
  } catch {
    rmSync(mountPoint, { recursive: true, force: true })
    return null
  }
  t.after(() => {
    execFileSync('umount', ['-l', mountPoint])
    rmSync(mountPoint, { recursive: true, force: true })
  })
  const dataDir = path.join(mountPoint, 'data')
  mkdirSync(dataDir)
  return dataDir
}

async function start(t: TestContext, dataDir: string): Promise<{ server: RunningTaskyard; token: string }> {
  const config = loadConfig({ host: '127.0.0.1', port: '0', dataDir }, { ...process.env, TASKYARD_ADMIN_PASSWORD: PASSWORD })
  const server = await startTaskyard(config, { logger: false, log: () => undefined })
  t.after(() => server.close())
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  })
  return { server, token: ((await login.json()) as { token: string }).token }
}

const canMount = (() => {
  try {
    return process.getuid?.() === 0
  } catch {
    return false
  }
})()

describe('a full disk on create (issue 6 item 7)', { skip: canMount ? false : 'needs root to mount a small tmpfs' }, () => {
  it('answers 507 naming what is full, and keeps no upload, staging, task row or task directory', async (t) => {
    const dataDir = smallDisk(t)
    assert.ok(dataDir, 'mount -t tmpfs failed')
    const { server, token } = await start(t, dataDir)
    const create = async (name: string, content: Uint8Array | string, fields: Record<string, string> = {}) => {
      const form = new FormData()
      form.set('conda_env', 'base')
      for (const [k, v] of Object.entries(fields)) form.set(k, v)
      form.set('script_file', new Blob([content]), name)
      const res = await fetch(`${server.url}/api/tasks`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
      return { status: res.status, body: (await res.json()) as Record<string, unknown> }
    }
    const leftovers = () => Object.fromEntries(['uploads', 'staging', 'tasks'].map((d) => [d, readdirSync(path.join(dataDir, d))]))

    // The upload itself does not fit.
    const big = await create('big.py', new Uint8Array(3 * 1024 * 1024).fill(0x23))
    assert.deepEqual(
      [big.status, big.body],
      [
        507,
        {
          success: false,
          message: 'Failed to process uploaded file',
          error: `No space left on device while saving the upload to ${path.join(dataDir, 'uploads')}`,
        },
      ],
    )
    assert.deepEqual(leftovers(), { uploads: [], staging: [], tasks: [] })
    assert.deepEqual(await server.store.tasks.list(), [])

    // A small ZIP that inflates past the free space.
    const bomb = await zipFiles({ 'main.py': 'print(1)\n', 'data.bin': Buffer.alloc(3 * 1024 * 1024) })
    assert.ok(bomb.length < 100_000)
    const zip = await create('b.zip', bomb)
    assert.deepEqual(
      [zip.status, zip.body],
      [
        507,
        {
          success: false,
          message: 'Failed to process uploaded file',
          error: `No space left on device while unpacking the upload into ${path.join(dataDir, 'staging')}`,
        },
      ],
    )
    assert.deepEqual(leftovers(), { uploads: [], staging: [], tasks: [] })
    assert.deepEqual(await server.store.tasks.list(), [])

    // The space came back: an ordinary create works.
    const ok = await create('ok.py', 'print("fits")\n', { delay_seconds: '3600' })
    assert.equal(ok.status, 201, JSON.stringify(ok.body))
  })
})
