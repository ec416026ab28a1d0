import assert from 'node:assert/strict'
import { chmod, chown, link, lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { chownTree, planChownTree } from '../../src/files/secure-data-dir.ts'

const isRoot = process.getuid?.() === 0

describe('chownTree (handing a task directory to the run account)', { skip: !isRoot && 'needs root to chown' }, () => {
  it('gives every file, directory and symlink to the account, never a symlink’s target or a file with other links', async (t) => {
    const root = await mkdtemp(path.join(tmpdir(), 'taskyard-chown-'))
    t.after(() => rm(root, { recursive: true, force: true }))
    const outside = path.join(root, 'server-secret')
    await writeFile(outside, 'secret')
    const dir = path.join(root, 'task')
    await mkdir(path.join(dir, 'lib', 'deep'), { recursive: true })
    await writeFile(path.join(dir, 'job.py'), 'x')
    await writeFile(path.join(dir, 'lib', 'deep', 'mod.py'), 'x')
    await symlink(outside, path.join(dir, 'link-to-secret'))
    await symlink(root, path.join(dir, 'link-to-parent'))
    await link(outside, path.join(dir, 'hardlink-to-secret'))

    await chownTree(dir, 999, 995)
    const owner = async (p: string) => {
      const s = await lstat(p)
      return `${s.uid}:${s.gid}`
    }
    for (const p of ['.', 'job.py', 'lib', 'lib/deep', 'lib/deep/mod.py', 'link-to-secret', 'link-to-parent']) {
      assert.equal(await owner(path.join(dir, p)), '999:995', p)
    }
    assert.equal(await owner(path.join(dir, 'hardlink-to-secret')), '0:0')
    assert.equal(await owner(outside), '0:0')
    assert.equal(await owner(root), '0:0')
  })

  const owner = async (p: string) => {
    const s = await lstat(p)
    return `${s.uid}:${s.gid}`
  }

  it('walks in-process a tree only the server can change, and hands over nothing twice', async (t) => {
    const root = await mkdtemp(path.join(tmpdir(), 'taskyard-chown-'))
    t.after(() => rm(root, { recursive: true, force: true }))
    const dir = path.join(root, 'task')
    await mkdir(path.join(dir, 'lib'), { recursive: true, mode: 0o755 })
    await writeFile(path.join(dir, 'lib', 'mod.py'), 'x')
    await writeFile(path.join(dir, 'job.py'), 'x')
    const first = await planChownTree(dir, 999, 995)
    assert.equal(first.inProcess, true)
    // Children before their directory: lib/mod.py is handed over before lib.
    assert.deepEqual(first.entries.map((e) => path.relative(dir, e)).sort(), ['job.py', 'lib', 'lib/mod.py'])
    assert.ok(first.entries.indexOf(path.join(dir, 'lib', 'mod.py')) < first.entries.indexOf(path.join(dir, 'lib')))
    await chownTree(dir, 999, 995)
    for (const p of ['.', 'job.py', 'lib', 'lib/mod.py']) assert.equal(await owner(path.join(dir, p)), '999:995', p)
    // A later run: the contents are the account's already, nothing to walk into find for.
    const again = await planChownTree(dir, 999, 995)
    assert.deepEqual(again, { entries: [], inProcess: false })
  })

  it('leaves a tree with a directory the account could change to find(1), and still hands over what the server added', async (t) => {
    const root = await mkdtemp(path.join(tmpdir(), 'taskyard-chown-'))
    t.after(() => rm(root, { recursive: true, force: true }))
    const dir = path.join(root, 'task')
    await mkdir(path.join(dir, 'made-by-run'), { recursive: true })
    await chown(path.join(dir, 'made-by-run'), 999, 995)
    await writeFile(path.join(dir, 'made-by-run', 'added-by-server.py'), 'x')
    const plan = await planChownTree(dir, 999, 995)
    assert.equal(plan.inProcess, false)
    assert.deepEqual(plan.entries, [path.join(dir, 'made-by-run', 'added-by-server.py')])
    await chownTree(dir, 999, 995)
    assert.equal(await owner(path.join(dir, 'made-by-run', 'added-by-server.py')), '999:995')

    // A server-owned directory others may write to is no safer than the account's own.
    const open = path.join(root, 'open')
    await mkdir(path.join(open, 'shared'), { recursive: true })
    await chmod(path.join(open, 'shared'), 0o777)
    assert.equal((await planChownTree(open, 999, 995)).inProcess, false)
    await chownTree(open, 999, 995)
    assert.equal(await owner(path.join(open, 'shared')), '999:995')
  })
})
