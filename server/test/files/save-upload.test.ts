import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { describe, it, type TestContext } from 'node:test'
import { TaskyardError } from '../../src/domain/errors.ts'
import { saveUpload } from '../../src/files/save-upload.ts'
import { spyOnWrites } from './write-spy.ts'

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-upload-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

function chunks(...parts: string[]): Readable {
  return Readable.from(parts.map((p) => Buffer.from(p)))
}

describe('saveUpload', () => {
  it('writes the stream to disk and returns its size, up to exactly the limit', async (t) => {
    const dir = await tempDir(t)
    const dest = path.join(dir, 'u')
    assert.equal(await saveUpload(chunks('hello ', 'world'), dest, 11), 11)
    assert.equal(await readFile(dest, 'utf8'), 'hello world')
  })

  it('refuses an upload over the limit as it arrives, never writing past it, and deletes the partial file', async (t) => {
    const dir = await tempDir(t)
    // 500 bytes, and once they are on disk a 64 KiB chunk: the cap of 1000 falls inside it.
    const source = new Readable({ read() {} })
    const spy = spyOnWrites(dir, { onWrite: () => source.push(Buffer.alloc(64 * 1024, 1)) })
    t.after(() => spy.restore())
    source.push(Buffer.alloc(500, 1))
    await assert.rejects(saveUpload(source, path.join(dir, 'u'), 1000), (error: unknown) => {
      assert.ok(error instanceof TaskyardError)
      assert.equal(error.code, 'upload_failed')
      assert.equal(error.message, 'Failed to process uploaded file')
      assert.deepEqual(error.details, { error: 'File is larger than the upload limit of 1000 bytes' })
      return true
    })
    assert.deepEqual(await readdir(dir), [])
    // What reached the file: the first 500 bytes, not one byte of the chunk that passed the cap.
    assert.deepEqual([...spy.bytesByPath], [[path.join(dir, 'u'), 500]])
  })

  it('writes in step with the disk up to the cap and not one chunk further', async (t) => {
    const dir = await tempDir(t)
    // 100-byte chunks against a 1050-byte cap, each sent once the one before is on disk.
    const source = new Readable({ read() {} })
    const spy = spyOnWrites(dir, { onWrite: () => source.push(Buffer.alloc(100, 2)) })
    t.after(() => spy.restore())
    source.push(Buffer.alloc(100, 2))
    await assert.rejects(saveUpload(source, path.join(dir, 'u'), 1050), { code: 'upload_failed' })
    assert.deepEqual(await readdir(dir), [])
    assert.deepEqual([...spy.bytesByPath.values()], [1000])
  })

  it('says the limit in readable units as well as bytes', async (t) => {
    const dir = await tempDir(t)
    await assert.rejects(saveUpload(chunks('x'.repeat(2 * 1024 * 1024 + 1)), path.join(dir, 'u'), 2 * 1024 * 1024), (error: unknown) => {
      assert.equal((error as TaskyardError).details.error, 'File is larger than the upload limit of 2 MiB (2097152 bytes)')
      return true
    })
  })

  it('deletes the partial file when the client goes away mid-upload', async (t) => {
    const dir = await tempDir(t)
    const broken = new Readable({ read() {} })
    broken.push(Buffer.from('partial'))
    setImmediate(() => broken.destroy(new Error('client aborted')))
    await assert.rejects(saveUpload(broken, path.join(dir, 'u'), 1000), /client aborted/)
    assert.deepEqual(await readdir(dir), [])
  })

  it('never overwrites a file already at the destination', async (t) => {
    const dir = await tempDir(t)
    await writeFile(path.join(dir, 'u'), 'precious')
    await assert.rejects(saveUpload(chunks('new'), path.join(dir, 'u'), 1000), { code: 'EEXIST' })
    assert.equal(await readFile(path.join(dir, 'u'), 'utf8'), 'precious')
  })
})
