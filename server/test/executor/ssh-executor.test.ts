/**
 * The SSH executor (issue 12) against a real OpenSSH server on 127.0.0.1: the shared executor
 * contract (the loopback host's processes are this machine's, so the suite's /proc checks see the
 * remote side), then what only SSH has: pooled connections, a dropped connection.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { after, before, describe, it, type TestContext } from 'node:test'
import type { SshTarget } from '../../src/executor/executor.ts'
import { connectSsh } from '../../src/executor/ssh/connect-ssh.ts'
import { createSshExecutor, type SshExecutor, type SshExecutorOptions } from '../../src/executor/ssh/ssh-executor.ts'
import { SshPool } from '../../src/executor/ssh/ssh-pool.ts'
import { sshdSkipReason, startTestSshServer, type TestSshServer } from '../helpers/ssh-server.ts'
import { describeExecutorContract } from './executor-contract.ts'
import { eventTypes, startTestRun, waitUntil } from './start-test-run.ts'

const skip = sshdSkipReason()

/** The test sshd as a target, logging in with its key; pinned to its real host key unless told otherwise. */
function targetOf(sshd: TestSshServer, pinned: string | null = sshd.hostKeyFingerprint()): SshTarget {
  return {
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    credentials: { kind: 'key', privateKey: sshd.key.privateKey, passphrase: null },
    hostKeyFingerprint: pinned,
  }
}

describe('ssh executor', { skip, timeout: 900_000 }, () => {
  let sshd: TestSshServer
  before(async () => {
    sshd = await startTestSshServer()
  })
  after(() => sshd.stop())

  describeExecutorContract({
    name: 'ssh',
    containments: ['none'],
    suiteTimeoutMs: 600_000,
    noAccountOrIsolation: 'skipped: over SSH a run gets the account the server logs in as and its file system',
    create: async (options) =>
      createSshExecutor({
        target: async () => targetOf(sshd),
        label: `${sshd.username}@${sshd.host}:${sshd.port}`,
        ...(options.installation === undefined ? {} : { installation: options.installation }),
      }),
  })
})

describe('ssh executor: what only SSH has', { skip, timeout: 300_000 }, () => {
  let sshd: TestSshServer
  before(async () => {
    sshd = await startTestSshServer()
  })
  after(() => sshd.stop())

  const open = (t: TestContext, overrides: Partial<SshExecutorOptions> = {}): SshExecutor => {
    const executor = createSshExecutor({
      target: async () => targetOf(sshd),
      label: 'loopback',
      installation: `/taskyard-ssh-test/${process.pid}/${Math.random()}`,
      ...overrides,
    })
    t.after(() => executor.close())
    return executor
  }
  /** Whether a process whose command line matches `pattern` runs on the host (pgrep, as an admin would check). */
  const pgrep = (pattern: string): boolean => spawnSync('pgrep', ['-f', pattern]).status === 0

  it('reuses one pooled connection for consecutive runs', async (t) => {
    const executor = open(t)
    const parents = new Set<string>()
    for (let i = 0; i < 4; i++) {
      const run = startTestRun(t, executor, { runId: 100 + i, argv: ['sh', '-c', 'echo $PPID'] })
      assert.equal((await run.exited).exitCode, 0)
      parents.add(run.output())
    }
    // Every run's parent is the sshd process of one connection.
    assert.equal(parents.size, 1, [...parents].join(','))
    assert.equal(executor.connectionCount, 1)
  })

  it('hands the socket each packet in one write, not one per piece (the write syscalls of an exec)', async (t) => {
    const connection = await connectSsh(targetOf(sshd))
    t.after(() => connection.client.end())
    const exec = (): Promise<void> =>
      new Promise((resolve, reject) =>
        connection.client.exec('true', (error, stream) => {
          if (error) return reject(error)
          stream.resume()
          stream.stderr.resume()
          stream.once('close', () => resolve())
        }),
      )
    // The kernel's count of this process's write-class syscalls: nothing else here writes meanwhile.
    const writeSyscalls = (): number => Number(/^syscw: (\d+)$/m.exec(fs.readFileSync('/proc/self/io', 'utf8'))?.[1])
    await exec()
    const before = writeSyscalls()
    const execs = 10
    for (let i = 0; i < execs; i++) await exec()
    const perExec = (writeSyscalls() - before) / execs
    // An exec sends a channel open, the exec request and the channel's close (now and then a
    // window adjust), each in a tick of its own; uncorked, ssh2's three pieces a packet (length,
    // ciphertext, tag) were three syscalls each: 9 an exec.
    assert.ok(perExec <= 4, `${perExec} write syscalls an exec`)
  })

  it('runs control commands on long-lived shells: each with its own output and exit code, an idle shell reused, at most 3, a lost one replaced', async (t) => {
    const pool = new SshPool(
      () => connectSsh(targetOf(sshd)),
      () => undefined,
    )
    t.after(() => pool.close())
    const shellPid = Number((await pool.control('echo $$')).stdout)
    assert.ok(shellPid > 1)
    assert.deepEqual(await pool.control('echo one'), { stdout: 'one\n', code: 0 })
    assert.deepEqual(await pool.control('printf two'), { stdout: 'two', code: 0 })
    assert.deepEqual(await pool.control('echo three; exit 3'), { stdout: 'three\n', code: 3 })
    assert.deepEqual(await pool.control('cat; echo stdin is empty'), { stdout: 'stdin is empty\n', code: 0 })
    assert.deepEqual(await pool.control('echo $$'), { stdout: `${shellPid}\n`, code: 0 }, 'an idle shell is reused')
    const side = await Promise.all(Array.from({ length: 6 }, () => pool.control('echo $$; sleep 0.2')))
    const shells = new Set(side.map((answer) => answer.stdout))
    assert.ok(shells.size > 1 && shells.size <= 3, [...shells].join(','))
    for (const pid of shells) process.kill(Number(pid), 'SIGKILL')
    let replaced: string | null = null
    for (let i = 0; i < 100 && replaced === null; i++) {
      replaced = await pool.control('echo $$').then(
        (answer) => (shells.has(answer.stdout) ? null : answer.stdout),
        () => null,
      )
      if (replaced === null) await new Promise((r) => setTimeout(r, 20))
    }
    assert.match(replaced ?? '', /^\d+\n$/, 'no new control shell after the others were killed')
  })

  it('stop and timeout leave no process on the host, background ones included', async (t) => {
    const executor = open(t)
    const stopped = startTestRun(t, executor, { argv: ['sh', '-c', 'sleep 31401 & sleep 31402 & echo ready; wait'] })
    await stopped.outputMatching((text) => text === 'ready\n')
    assert.equal(pgrep('sleep 3140[12]'), true)
    await stopped.handle.stop()
    assert.equal((await stopped.exited).reason, 'stopped')
    assert.equal(pgrep('sleep 3140[12]'), false)

    const timedOut = startTestRun(t, executor, { argv: ['sh', '-c', 'setsid sleep 31403 & sleep 31404'], timeoutMs: 300 })
    assert.equal((await timedOut.exited).reason, 'timeout')
    assert.equal(pgrep('sleep 3140[34]'), false)
  })

  it('a dropped connection ends the run as lost, and the next connection ends what it left', async (t) => {
    const executor = open(t)
    const run = startTestRun(t, executor, { argv: ['sh', '-c', 'echo $PPID; exec sleep 31405'] })
    const sshdSession = Number(await run.outputMatching((text) => text.endsWith('\n')))
    assert.ok(sshdSession > 1)
    process.kill(sshdSession, 'SIGKILL')
    const exited = await run.exited
    assert.deepEqual(
      { ...exited, at: 0 },
      { type: 'exited', exitCode: null, signal: null, reason: 'exit', lostReason: 'the SSH connection to the server was lost', at: 0 },
    )
    // Nothing ended it yet: the remote process outlives the connection, as it would on a real host.
    assert.equal(pgrep('sleep 31405'), true)
    const next = startTestRun(t, executor, { runId: 2, argv: ['true'] })
    assert.equal((await next.exited).exitCode, 0)
    await waitUntil(() => !pgrep('sleep 31405'), 'the lost run’s process survived the next connection')
  })

  it('keeps stdout and stderr apart when asked, the log still holding both', async (t) => {
    const executor = open(t)
    const run = startTestRun(t, executor, { argv: ['sh', '-c', 'echo a; echo b >&2; echo c'] })
    const streamPaths = { stdout: `${run.spec.outputPath}.out`, stderr: `${run.spec.outputPath}.err` }
    const apart = startTestRun(t, executor, { argv: ['sh', '-c', 'echo a; echo b >&2; echo c'], streamPaths, runId: 3 })
    await Promise.all([run.exited, apart.exited])
    assert.equal(fs.readFileSync(streamPaths.stdout, 'utf8'), 'a\nc\n')
    assert.equal(fs.readFileSync(streamPaths.stderr, 'utf8'), 'b\n')
    assert.deepEqual(apart.output().split('\n').sort(), ['', 'a', 'b', 'c'])
  })

  it('refuses a host whose key is not the pinned one, before authenticating; reports the first key of an unpinned one', async (t) => {
    const changed = open(t, {
      target: async () => targetOf(sshd, 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
    })
    const refused = startTestRun(t, changed, { argv: ['true'] })
    assert.match((await refused.exited).spawnError ?? '', /^cannot run on the server: the host key changed: pinned SHA256:A+, offered SHA256:/)
    assert.deepEqual(eventTypes(refused.events), ['exited'])

    const seen: string[] = []
    const unpinned = open(t, {
      target: async () => targetOf(sshd, null),
      onFirstHostKey: async (fingerprint) => void seen.push(fingerprint),
    })
    assert.equal((await startTestRun(t, unpinned, { argv: ['true'] }).exited).exitCode, 0)
    assert.deepEqual(seen, [sshd.hostKeyFingerprint()])
  })
})
