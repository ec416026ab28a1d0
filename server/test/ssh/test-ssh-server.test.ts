/** The test sshd itself: key and password logins reach a real shell, and a replaced host key shows. */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import ssh2, { type ConnectConfig } from 'ssh2'
import { generateUserKey, sshdSkipReason, startTestSshServer, type TestSshServer } from '../helpers/ssh-server.ts'

/** Runs one command over a fresh connection; answers its stdout and the host key's fingerprint. */
function exec(config: ConnectConfig, command: string): Promise<{ stdout: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client()
    let fingerprint = ''
    client
      .on('ready', () => {
        client.exec(command, (error, stream) => {
          if (error) return reject(error)
          let stdout = ''
          stream.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
          stream.on('close', () => {
            client.end()
            resolve({ stdout, fingerprint })
          })
        })
      })
      .on('error', reject)
      .connect({
        ...config,
        hostVerifier: (key: Buffer) => {
          fingerprint = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`
          return true
        },
      })
  })
}

describe('the test OpenSSH server', { skip: sshdSkipReason(), timeout: 60_000 }, () => {
  let server: TestSshServer
  before(async () => {
    server = await startTestSshServer()
  })
  after(() => server.stop())

  it('logs the current user in with the generated key and reports the generated host key', async () => {
    const { stdout, fingerprint } = await exec({ host: server.host, port: server.port, username: server.username, privateKey: server.key.privateKey }, 'id -un')
    assert.equal(stdout, `${server.username}\n`)
    assert.equal(fingerprint, server.hostKeyFingerprint())
  })

  it('refuses a key it was not given', async () => {
    const stranger = generateUserKey()
    await assert.rejects(
      exec({ host: server.host, port: server.port, username: server.username, privateKey: stranger.privateKey }, 'true'),
      /All configured authentication methods failed/,
    )
  })

  it('comes back on the same port with a new host key after replaceHostKey()', async () => {
    const before = server.hostKeyFingerprint()
    await server.replaceHostKey()
    const { fingerprint } = await exec({ host: server.host, port: server.port, username: server.username, privateKey: server.key.privateKey }, 'true')
    assert.notEqual(fingerprint, before)
    assert.equal(fingerprint, server.hostKeyFingerprint())
  })
})

describe('the test OpenSSH server with a password account', { skip: sshdSkipReason({ password: true }), timeout: 60_000 }, () => {
  let server: TestSshServer
  before(async () => {
    server = await startTestSshServer({ password: true })
  })
  after(() => server.stop())

  it('logs the dedicated unprivileged account in by password', async () => {
    const { stdout } = await exec({ host: server.host, port: server.port, username: server.username, password: server.password ?? '' }, 'id -u')
    assert.notEqual(stdout.trim(), '0')
    assert.match(stdout, /^\d+\n$/)
  })

  it('refuses a wrong password', async () => {
    await assert.rejects(exec({ host: server.host, port: server.port, username: server.username, password: 'wrong' }, 'true'), /authentication methods failed/)
  })
})
