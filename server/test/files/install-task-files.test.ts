import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { installTaskFiles, removeTaskFiles, sweepTaskLeftovers } from '../../src/files/install-task-files.ts'

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-install-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function dirWith(dir: string, files: Record<string, string>): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true })
    await writeFile(path.join(dir, name), content)
  }
  return dir
}

async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const full = path.join(entry.parentPath, entry.name)
    out[path.relative(dir, full)] = await readFile(full, 'utf8')
  }
  return out
}

describe('installTaskFiles', () => {
  it('moves the staging directory into place for a new task', async (t) => {
    const root = await tempDir(t)
    const staging = await dirWith(path.join(root, 'staging', 's1'), { 'main.py': 'new' })
    const taskDir = path.join(root, 'tasks', '1')
    await installTaskFiles(staging, taskDir)
    assert.deepEqual(await tree(taskDir), { 'main.py': 'new' })
    assert.deepEqual(await readdir(path.join(root, 'staging')), [])
  })

  it('replaces the whole directory: no old file survives, nothing is left aside', async (t) => {
    const root = await tempDir(t)
    const taskDir = await dirWith(path.join(root, 'tasks', '1'), { 'main.py': 'old', 'old-only.py': 'x', 'lib/a.py': 'old a' })
    const staging = await dirWith(path.join(root, 'staging', 's1'), { 'main.py': 'new', 'lib/b.py': 'new b' })
    await installTaskFiles(staging, taskDir)
    assert.deepEqual(await tree(taskDir), { 'main.py': 'new', 'lib/b.py': 'new b' })
    assert.deepEqual(await readdir(path.join(root, 'tasks')), ['1'])
  })

  it('puts the old directory back when the new one cannot be moved in', async (t) => {
    const root = await tempDir(t)
    const taskDir = await dirWith(path.join(root, 'tasks', '1'), { 'main.py': 'old' })
    await assert.rejects(installTaskFiles(path.join(root, 'staging', 'missing'), taskDir), { code: 'ENOENT' })
    assert.deepEqual(await tree(taskDir), { 'main.py': 'old' })
    assert.deepEqual(await readdir(path.join(root, 'tasks')), ['1'])
  })
})

describe('removeTaskFiles', () => {
  it('removes the directory with everything in it, and a missing one is fine', async (t) => {
    const root = await tempDir(t)
    const taskDir = await dirWith(path.join(root, '1'), { 'a/b/c.py': 'x' })
    await removeTaskFiles(taskDir)
    await removeTaskFiles(taskDir)
    assert.deepEqual(await readdir(root), [])
  })
})

describe('sweepTaskLeftovers (issue 6: a kill during update-script)', () => {
  it('removes old directories beside their task directory and puts back one whose task directory is missing', async (t) => {
    const root = await tempDir(t)
    await dirWith(path.join(root, '1'), { 'new.py': 'new' })
    await dirWith(path.join(root, '1.old-a1b2c3'), { 'old.py': 'old' })
    await dirWith(path.join(root, '1.old-ffff'), { 'older.py': 'older' })
    await dirWith(path.join(root, '2.old-0a0a'), { 'only.py': 'only copy' })
    await dirWith(path.join(root, '3'), { 'x.py': 'x' })
    await dirWith(path.join(root, 'notes.old-zz'), { 'keep.txt': 'not ours' })
    assert.deepEqual(await sweepTaskLeftovers(root), { removed: ['1.old-a1b2c3', '1.old-ffff'], restored: ['2.old-0a0a'] })
    assert.deepEqual((await readdir(root)).sort(), ['1', '2', '3', 'notes.old-zz'])
    assert.deepEqual(await tree(path.join(root, '1')), { 'new.py': 'new' })
    assert.deepEqual(await tree(path.join(root, '2')), { 'only.py': 'only copy' })
    assert.deepEqual(await sweepTaskLeftovers(root), { removed: [], restored: [] })
  })

  it('runs at start-up: a server started on a data directory with leftovers sweeps them', async (t) => {
    const dataDir = await tempDir(t)
    await dirWith(path.join(dataDir, 'tasks', '7'), { 'main.py': 'current' })
    await dirWith(path.join(dataDir, 'tasks', '7.old-deadbeef'), { 'main.py': 'stale' })
    await dirWith(path.join(dataDir, 'staging', 'staging-x'), { 'half.py': 'half' })
    const { loadConfig } = await import('../../src/config/config.ts')
    const { startTaskyard } = await import('../../src/main.ts')
    const server = await startTaskyard(
      loadConfig({ host: '127.0.0.1', port: '0', dataDir }, { ...process.env, TASKYARD_ADMIN_PASSWORD: 'sweep-admin-password' }),
      { logger: false, log: () => undefined },
    )
    t.after(() => server.close())
    assert.deepEqual(await readdir(path.join(dataDir, 'tasks')), ['7'])
    assert.deepEqual(await tree(path.join(dataDir, 'tasks', '7')), { 'main.py': 'current' })
    assert.deepEqual(await readdir(path.join(dataDir, 'staging')), [])
  })
})
