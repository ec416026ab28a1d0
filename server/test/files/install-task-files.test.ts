import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { installTaskFiles, removeTaskFiles } from '../../src/files/install-task-files.ts'

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
