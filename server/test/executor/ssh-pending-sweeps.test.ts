/**
 * The file of a server's pending sweeps (issue 12): what one life of Taskyard records, the next
 * reads back; an emptied list removes the file; a damaged file keeps nothing and breaks nothing.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { PendingSweeps, pendingSweepsFile, serversWithPendingSweeps } from '../../src/executor/ssh/pending-sweeps.ts'

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskyard-sweeps-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return path.join(dir, 'ssh-sweeps')
}

describe('pending sweeps of a server', () => {
  it('are read back by the next instance, a known pgid kept, and the file goes with the last one', (t) => {
    const dir = tempDir(t)
    const file = pendingSweepsFile(dir, 7)
    const first = new PendingSweeps(file)
    first.add(11, 4242)
    first.add(12, null)
    first.add(11, null) // a later call that knows no pgid keeps the known one
    assert.deepEqual(serversWithPendingSweeps(dir), [7])
    assert.equal(fs.statSync(file).mode & 0o777, 0o600)
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700)

    const second = new PendingSweeps(file)
    assert.deepEqual(second.entries(), [
      [11, 4242],
      [12, null],
    ])
    second.delete(11)
    assert.deepEqual(new PendingSweeps(file).entries(), [[12, null]])
    second.delete(12)
    assert.equal(fs.existsSync(file), false)
    assert.deepEqual(serversWithPendingSweeps(dir), [])
  })

  it('a damaged file or a missing directory keeps nothing; other names in the directory are not servers', (t) => {
    const dir = tempDir(t)
    assert.deepEqual(serversWithPendingSweeps(dir), [])
    fs.mkdirSync(dir)
    fs.writeFileSync(pendingSweepsFile(dir, 3), '[{"runId": 1, "pgid"')
    fs.writeFileSync(path.join(dir, '3.json.tmp'), '[]')
    assert.deepEqual(new PendingSweeps(pendingSweepsFile(dir, 3)).entries(), [])
    assert.deepEqual(serversWithPendingSweeps(dir), [3])
  })

  it('without a file they live in memory only', () => {
    const sweeps = new PendingSweeps(null)
    sweeps.add(5, 99)
    assert.deepEqual(sweeps.entries(), [[5, 99]])
    sweeps.delete(5)
    assert.equal(sweeps.size, 0)
  })
})
