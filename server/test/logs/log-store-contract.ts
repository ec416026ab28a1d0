/**
 * The LogStore contract's cases, run against every implementation (file-log-store.test.ts today;
 * a remote worker's store later): written through the append target as an executor writes, read
 * back through the contract only.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { describe, it, type TestContext } from 'node:test'
import type { LogAppendTarget, LogChunk, LogStore } from '../../src/logs/log-store.ts'

export interface LogStoreUnderTest {
  /** Used in test names: '<name> log store'. */
  name: string
  /** A fresh, empty store, torn down after the test. */
  create(t: TestContext): Promise<LogStore>
}

/** Appends as the executor's processes do: the file target is opened O_APPEND and written to. */
function append(target: LogAppendTarget, bytes: string | Uint8Array): void {
  fs.appendFileSync(target.path, bytes)
}

async function downloaded(store: LogStore, runId: number): Promise<{ size: number; bytes: Buffer }> {
  const download = await store.openDownload(runId)
  const chunks: Buffer[] = []
  // Copied: the store may reuse a chunk's buffer once write resolves.
  await download.copyTo(async (chunk) => void chunks.push(Buffer.from(chunk)))
  return { size: download.size, bytes: Buffer.concat(chunks) }
}

const SUITE_TIMEOUT_MS = 60_000

export function describeLogStoreContract(impl: LogStoreUnderTest): void {
  describe(`${impl.name} log store`, { timeout: SUITE_TIMEOUT_MS }, () => {
    it('gives a run the same append target every time and another run another one', async (t) => {
      const store = await impl.create(t)
      assert.deepEqual(store.appendTarget(7), store.appendTarget(7))
      assert.notDeepEqual(store.appendTarget(7), store.appendTarget(8))
    })

    it('reads a log nothing has written yet as empty everywhere', async (t) => {
      const store = await impl.create(t)
      assert.equal(await store.size(1), 0)
      assert.deepEqual(await store.read(1, 0, { complete: false }), { text: '', nextOffset: 0, size: 0 })
      assert.deepEqual(await store.readRange(1, { limit: 10, complete: false }), { text: '', offset: 0, nextOffset: 0, size: 0, modifiedAt: null })
      assert.deepEqual(await store.readTail(1, 10, { complete: false }), { text: '', omittedBytes: 0 })
      assert.deepEqual(await downloaded(store, 1), { size: 0, bytes: Buffer.alloc(0) })
    })

    it('reads back what was appended, holding a character split across appends until it is whole', async (t) => {
      const store = await impl.create(t)
      const target = store.appendTarget(1)
      append(target, Buffer.from([0x61, 0xe2, 0x82])) // 'a' and the first two bytes of '€'
      assert.deepEqual(await store.read(1, 0, { complete: false }), { text: 'a', nextOffset: 1, size: 3 })
      append(target, Buffer.from([0xac, 0x62])) // the rest of '€', then 'b'
      assert.deepEqual(await store.read(1, 1, { complete: false }), { text: '€b', nextOffset: 5, size: 5 })
      assert.deepEqual(await store.read(1, 0, { complete: true, maxBytes: 3 }), { text: 'a', nextOffset: 1, size: 5 })
    })

    it('decodes a partial character at the end of a finished log as U+FFFD', async (t) => {
      const store = await impl.create(t)
      append(store.appendTarget(1), Buffer.from([0x61, 0xe2, 0x82]))
      assert.deepEqual(await store.read(1, 0, { complete: true }), { text: 'a\uFFFD', nextOffset: 3, size: 3 })
    })

    it('reads a range whose ends fall inside characters without splitting one', async (t) => {
      const store = await impl.create(t)
      append(store.appendTarget(1), 'a€b€c') // € at bytes 1-3 and 5-7
      const at = (range: { offset?: number; limit: number }) =>
        store.readRange(1, { ...range, complete: true }).then(({ text, offset, nextOffset, size }) => ({ text, offset, nextOffset, size }))
      // A start inside a character moves past it.
      assert.deepEqual(await at({ offset: 2, limit: 10 }), { text: 'b€c', offset: 4, nextOffset: 9, size: 9 })
      // An end inside one stops before it.
      assert.deepEqual(await at({ offset: 0, limit: 6 }), { text: 'a€b', offset: 0, nextOffset: 5, size: 9 })
      // Without an offset: the last `limit` bytes, starting on a whole character.
      assert.deepEqual(await at({ limit: 6 }), { text: 'b€c', offset: 4, nextOffset: 9, size: 9 })
      // Past the end: empty there.
      assert.deepEqual(await at({ offset: 20, limit: 4 }), { text: '', offset: 20, nextOffset: 20, size: 9 })
      const { modifiedAt } = await store.readRange(1, { limit: 1, complete: true })
      assert.equal(typeof modifiedAt, 'number')
    })

    it('reads the tail and how many bytes came before it, never starting inside a character', async (t) => {
      const store = await impl.create(t)
      append(store.appendTarget(1), 'a€b')
      assert.deepEqual(await store.readTail(1, 3, { complete: true }), { text: 'b', omittedBytes: 4 })
      assert.deepEqual(await store.readTail(1, 4, { complete: true }), { text: '€b', omittedBytes: 1 })
      assert.deepEqual(await store.readTail(1, 100, { complete: true }), { text: 'a€b', omittedBytes: 0 })
    })

    it('follows a log as it grows, from an offset, and ends with a complete chunk once the run is over', async (t) => {
      const store = await impl.create(t)
      const target = store.appendTarget(1)
      append(target, 'skip|first\n')
      const { promise: finished, resolve: finish } = Promise.withResolvers<void>()
      t.after(() => finish())
      const follow = store.follow(1, 5, finished)
      assert.deepEqual(await follow.next(), { done: false, value: { text: 'first\n', offset: 11, complete: false } })
      // Asked for before the bytes exist: the follower waits for the write.
      const pending = follow.next()
      append(target, 'later ')
      append(target, Buffer.from([0xe2, 0x82]))
      const chunks: LogChunk[] = [((await pending) as IteratorYieldResult<LogChunk>).value]
      append(target, Buffer.from([0xac]))
      finish()
      for await (const chunk of follow) chunks.push(chunk)
      assert.equal(chunks.map((c) => c.text).join(''), 'later €')
      assert.ok(
        chunks.every((c) => !c.text.includes('\uFFFD')),
        'a character split across writes is delivered whole',
      )
      assert.deepEqual(
        chunks.map((c) => c.complete),
        chunks.map((_, i) => i === chunks.length - 1),
        'only the last chunk is complete',
      )
      assert.equal(chunks.at(-1)?.offset, 20)
    })

    it('follows a log that does not exist yet until its run writes it', async (t) => {
      const store = await impl.create(t)
      const follow = store.follow(1, 0, new Promise<void>(() => {}))
      // The run never ends here: the follower is ended the way a consumer that stops reading ends it.
      t.after(() => follow.return())
      const pending = follow.next()
      append(store.appendTarget(1), 'hello\n')
      assert.deepEqual(await pending, { done: false, value: { text: 'hello\n', offset: 6, complete: false } })
    })

    it('ends a follow at once, with everything, when the run was already over', async (t) => {
      const store = await impl.create(t)
      append(store.appendTarget(1), 'all\n')
      const chunks: LogChunk[] = []
      for await (const chunk of store.follow(1, 0, Promise.resolve())) chunks.push(chunk)
      assert.deepEqual(chunks, [{ text: 'all\n', offset: 4, complete: true }])
    })

    it('ends a follow without an error when its signal aborts', async (t) => {
      const store = await impl.create(t)
      const controller = new AbortController()
      const follow = store.follow(1, 0, new Promise<void>(() => {}), { signal: controller.signal })
      append(store.appendTarget(1), 'x')
      assert.deepEqual(await follow.next(), { done: false, value: { text: 'x', offset: 1, complete: false } })
      const pending = follow.next()
      controller.abort()
      assert.deepEqual(await pending, { done: true, value: undefined })
    })

    it('keeps each follow chunk within maxChunkBytes', async (t) => {
      const store = await impl.create(t)
      append(store.appendTarget(1), 'x'.repeat(10_000))
      const sizes: number[] = []
      let text = ''
      for await (const chunk of store.follow(1, 0, Promise.resolve(), { maxChunkBytes: 4096 })) {
        sizes.push(Buffer.byteLength(chunk.text))
        text += chunk.text
      }
      assert.equal(text, 'x'.repeat(10_000))
      assert.ok(
        sizes.every((n) => n <= 4096),
        `chunk sizes ${sizes.join(', ')}`,
      )
    })

    it('counts every byte written in size', async (t) => {
      const store = await impl.create(t)
      const target = store.appendTarget(1)
      append(target, 'a€')
      assert.equal(await store.size(1), 4)
      append(target, Buffer.alloc(1000, 0x62))
      assert.equal(await store.size(1), 1004)
      assert.equal(await store.size(2), 0)
    })

    it('removes a log for good, again without an error, and leaves other runs’ logs alone', async (t) => {
      const store = await impl.create(t)
      append(store.appendTarget(1), 'one\n')
      append(store.appendTarget(2), 'two\n')
      await store.remove(1)
      assert.equal(await store.size(1), 0)
      assert.deepEqual(await store.readTail(1, 100, { complete: true }), { text: '', omittedBytes: 0 })
      await store.remove(1)
      await store.remove(3)
      assert.deepEqual(await store.readTail(2, 100, { complete: true }), { text: 'two\n', omittedBytes: 0 })
    })

    it('downloads the whole log byte for byte, as large as it was when the download opened', async (t) => {
      const store = await impl.create(t)
      const target = store.appendTarget(1)
      // Several chunks of any sensible chunk size, with bytes that are not valid UTF-8 (sent as they are).
      const content = Buffer.alloc(300_001)
      for (let i = 0; i < content.length; i++) content[i] = (i * 31 + 7) % 256
      append(target, content)
      const download = await store.openDownload(1)
      append(target, 'after the download opened')
      const chunks: Buffer[] = []
      await download.copyTo(async (chunk) => void chunks.push(Buffer.from(chunk)))
      assert.equal(download.size, content.length)
      assert.ok(Buffer.concat(chunks).equals(content), 'the bytes sent are the log’s bytes, in order')
      assert.equal(await store.size(1), content.length + 'after the download opened'.length)
    })
  })
}
