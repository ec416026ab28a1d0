import assert from 'node:assert/strict'
import { link, lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { chownTree } from '../../src/files/secure-data-dir.ts'

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
})
