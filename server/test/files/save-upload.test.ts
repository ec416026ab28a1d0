import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { describe, it, type TestContext } from 'node:test'
import { TaskyardError } from '../../src/domain/errors.ts'
import { saveUpload } from '../../src/files/save-upload.ts'

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

  it('refuses an upload over the limit as it arrives, and deletes the partial file', async (t) => {
    const dir = await tempDir(t)
    const big = Readable.from((function* () {
      for (let i = 0; i < 100; i++) yield Buffer.alloc(64 * 1024, 1)
    })())
    await assert.rejects(saveUpload(big, path.join(dir, 'u'), 1000), (error: unknown) => {
      assert.ok(error instanceof TaskyardError)
      assert.equal(error.code, 'upload_failed')
      assert.equal(error.message, 'Failed to process uploaded file')
      assert.deepEqual(error.details, { error: 'File is larger than the upload limit of 1000 bytes' })
      return true
    })
    assert.deepEqual(await readdir(dir), [])
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
