import assert from 'node:assert/strict'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, it } from 'node:test'
import { loadOrCreateSecret, SEALING_KEY } from '../../src/auth/secret.ts'
import { tempDir } from './auth-test-kit.ts'

describe('signing secret', () => {
  it('generates 32 random bytes at first start and keeps them in secret.key, mode 0600', async (t) => {
    const dir = path.join(await tempDir(t), 'data')
    const secret = await loadOrCreateSecret(dir, null)
    assert.equal(secret.length, 32)
    const file = path.join(dir, 'secret.key')
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    assert.equal(await readFile(file, 'utf8'), `${secret.toString('base64')}\n`)
  })

  it('reads the same secret at the next start', async (t) => {
    const dir = await tempDir(t)
    const first = await loadOrCreateSecret(dir, null)
    const second = await loadOrCreateSecret(dir, null)
    assert.deepEqual(second, first)
  })

  it('gives different data directories different secrets', async (t) => {
    const a = await loadOrCreateSecret(await tempDir(t), null)
    const b = await loadOrCreateSecret(await tempDir(t), null)
    assert.notDeepEqual(a, b)
  })

  it('hands every one of several simultaneous first starts the same secret', async (t) => {
    const dir = await tempDir(t)
    const secrets = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSecret(dir, null)))
    for (const s of secrets) assert.deepEqual(s, secrets[0])
    assert.deepEqual(await loadOrCreateSecret(dir, null), secrets[0])
    // No temporary file is left behind.
    assert.deepEqual(await readdir(dir), ['secret.key'])
  })

  it('uses a configured secret of 32 bytes or more as is, writing nothing', async (t) => {
    const dir = await tempDir(t)
    const configured = 'k'.repeat(31) + 'é' // 33 bytes in UTF-8, 32 characters
    assert.deepEqual(await loadOrCreateSecret(dir, configured), Buffer.from(configured, 'utf8'))
    await assert.rejects(stat(path.join(dir, 'secret.key')), { code: 'ENOENT' })
  })

  it('refuses a configured secret shorter than 32 bytes, saying how to make one', async (t) => {
    const dir = await tempDir(t)
    await assert.rejects(loadOrCreateSecret(dir, 'x'.repeat(31)), {
      message: 'The configured signing secret (TASKYARD_SECRET) is 31 bytes; it must be at least 32. Generate one with: openssl rand -base64 48',
    })
    await assert.rejects(loadOrCreateSecret(dir, ''), /is 0 bytes/)
    await assert.rejects(stat(path.join(dir, 'secret.key')), { code: 'ENOENT' })
  })

  it('refuses a damaged secret file instead of signing with a short key', async (t) => {
    const dir = await tempDir(t)
    await writeFile(path.join(dir, 'secret.key'), Buffer.alloc(16).toString('base64'))
    await assert.rejects(loadOrCreateSecret(dir, null), /holds 16 bytes of secret, fewer than 32: it is damaged/)
  })
})

describe('secret-sealing key (issue 12)', () => {
  it('is a file of its own beside the signing secret, mode 0600, different from it', async (t) => {
    const dir = await tempDir(t)
    const signing = await loadOrCreateSecret(dir, null)
    const sealing = await loadOrCreateSecret(dir, null, SEALING_KEY)
    assert.notDeepEqual(sealing, signing)
    assert.equal((await stat(path.join(dir, 'secret-seal.key'))).mode & 0o777, 0o600)
    assert.deepEqual(await loadOrCreateSecret(dir, null, SEALING_KEY), sealing)
  })

  it('names TASKYARD_SECRET_KEY when the configured key is short', async (t) => {
    await assert.rejects(loadOrCreateSecret(await tempDir(t), 'short', SEALING_KEY), /secret-sealing key \(TASKYARD_SECRET_KEY\) is 5 bytes/)
  })
})
