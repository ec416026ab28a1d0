/**
 * Issue 6: what start-up says about runs — as which account they execute, which isolation is in
 * use, and when the run account could not reach Python. A real server (startTaskyard) as root.
 */
import assert from 'node:assert/strict'
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { loadConfig } from '../../src/config/config.ts'
import { lookupAccount } from '../../src/lib/os-accounts.ts'
import { probeMountNamespace } from '../helpers/mount-namespace-probe.ts'
import { startTaskyard } from '../../src/main.ts'

const isRoot = process.getuid?.() === 0

async function startupLines(t: TestContext, env: Record<string, string>): Promise<string[]> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'taskyard-start-'))
  t.after(() => rm(dataDir, { recursive: true, force: true }))
  const lines: string[] = []
  const config = loadConfig({ host: '127.0.0.1', port: '0', dataDir }, { ...process.env, TASKYARD_ADMIN_PASSWORD: 'start-up-test-password', ...env })
  const server = await startTaskyard(config, { logger: false, log: (m) => lines.push(m) })
  await server.close()
  return lines
}

describe('start-up messages about runs (issue 6)', { skip: !isRoot && 'needs root' }, () => {
  it('names the run account and the isolation in use', async (t) => {
    const lines = await startupLines(t, {})
    const account = (await lookupAccount('taskyard-run'))!
    assert.ok(lines.includes(`Runs execute as taskyard-run (uid ${account.uid}, gid ${account.gid}).`), lines.join('\n'))
    const works = (await probeMountNamespace(true)) === null
    assert.ok(
      lines.some((l) =>
        works
          ? /^Run isolation: (?!off|unavailable).+ \(each run sees only its own task and output folders/.test(l)
          : l.startsWith('Run isolation: unavailable ('),
      ),
      lines.join('\n'),
    )
  })

  it('TASKYARD_RUN_AS=server and TASKYARD_ISOLATION=off are warned about', async (t) => {
    const lines = await startupLines(t, { TASKYARD_RUN_AS: 'server', TASKYARD_ISOLATION: 'off' })
    assert.ok(lines.includes('WARNING: TASKYARD_RUN_AS=server: runs execute as root, with every privilege of this server.'), lines.join('\n'))
    assert.ok(lines.includes('Run isolation: off (TASKYARD_ISOLATION=off): runs see the whole file system their account can read.'), lines.join('\n'))
  })

  it('a user that does not exist in TASKYARD_RUN_AS stops the start with its name', async (t) => {
    await assert.rejects(
      startupLines(t, { TASKYARD_RUN_AS: 'no-such-user-here' }),
      /TASKYARD_RUN_AS names the user 'no-such-user-here', which does not exist on this host/,
    )
  })

  it('warns when the run account cannot execute the Python behind base', async (t) => {
    const hidden = await mkdtemp(path.join(tmpdir(), 'taskyard-private-python-'))
    t.after(() => rm(hidden, { recursive: true, force: true }))
    await mkdir(path.join(hidden, 'bin'))
    const python = path.join(hidden, 'bin', 'python3')
    await copyFile('/usr/bin/python3', python)
    const lines = await startupLines(t, { TASKYARD_PYTHON: python })
    assert.ok(
      lines.includes(
        `WARNING: runs as taskyard-run cannot execute Python (${python}): ${hidden} is not searchable by others. Set TASKYARD_PYTHON to an interpreter they can reach, e.g. /usr/bin/python3.`,
      ),
      lines.join('\n'),
    )
    const reachable = await startupLines(t, { TASKYARD_PYTHON: '/usr/bin/python3' })
    assert.equal(
      reachable.some((l) => l.includes('cannot execute Python')),
      false,
      reachable.join('\n'),
    )
  })
})
