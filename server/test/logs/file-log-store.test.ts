import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { createLocalExecutor } from '../../src/executor/local/local-executor.ts'
import { createFileLogStore, runLogFile } from '../../src/logs/file-log-store.ts'
import type { LogChunk, LogStore } from '../../src/logs/log-store.ts'
import { startTestRun } from '../executor/start-test-run.ts'
import { describeLogStoreContract } from './log-store-contract.ts'
import { logResources } from './log-resources.ts'

function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskyard-log-store-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

function fileStore(t: TestContext): { dir: string; store: LogStore } {
  const dir = tempDir(t)
  return { dir, store: createFileLogStore({ dir }) }
}

describeLogStoreContract({ name: 'file', create: (t) => Promise.resolve(fileStore(t).store) })

describe('file log store, on disk', { timeout: 60_000 }, () => {
  it('keeps run N’s log in <dir>/N.log, the file the executor appends to', (t) => {
    const { dir, store } = fileStore(t)
    assert.deepEqual(store.appendTarget(42), { kind: 'file', path: path.join(dir, '42.log') })
    assert.equal(runLogFile(dir, 42), path.join(dir, '42.log'))
  })

  it('refuses a run id that is not a positive whole number, so no other file is ever named', (t) => {
    const { store } = fileStore(t)
    for (const id of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
      assert.throws(() => store.appendTarget(id), RangeError, String(id))
    }
  })

  it('reads what a run started by the local executor wrote into its append target, stdout and stderr', async (t) => {
    const { store } = fileStore(t)
    const executor = createLocalExecutor({ containment: 'none' })
    const run = startTestRun(t, executor, { argv: ['sh', '-c', 'printf "out €\\n"; printf "err\\n" >&2'], outputPath: store.appendTarget(1).path })
    const chunks: LogChunk[] = []
    for await (const chunk of store.follow(
      1,
      0,
      run.exited.then(() => {}),
    ))
      chunks.push(chunk)
    assert.equal(chunks.map((c) => c.text).join(''), 'out €\nerr\n')
    assert.equal(chunks.at(-1)?.complete, true)
    assert.equal(await store.size(1), Buffer.byteLength('out €\nerr\n'))
  })

  it('holds no descriptor or watch on a log once a follow, a download or an abandoned download is over', async (t) => {
    const { dir, store } = fileStore(t)
    fs.writeFileSync(runLogFile(dir, 1), 'x'.repeat(200_000))
    const file = runLogFile(dir, 1)
    for await (const chunk of store.follow(1, 0, Promise.resolve())) void chunk
    const download = await store.openDownload(1)
    assert.equal(logResources(file).descriptors, 1, 'an open download holds the file')
    await download.copyTo(() => Promise.resolve())
    const abandoned = await store.openDownload(1)
    await abandoned.close()
    assert.deepEqual((({ descriptors, watches }) => ({ descriptors, watches }))(logResources(file)), { descriptors: 0, watches: 0 })
  })
})
