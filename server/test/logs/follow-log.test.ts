import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { describe, it, type TestContext } from 'node:test'
import { followLog } from '../../src/logs/follow-log.ts'
import type { LogChunk } from '../../src/logs/log-store.ts'
import { logResources } from './log-resources.ts'
import { tempLog } from './temp-log.ts'

const ended = Promise.resolve()
const never = new Promise<void>(() => {})

/** A signal aborted when the test ends, so a follower of a never-ending run cannot outlive a failed test. */
function abortedAfter(t: TestContext): AbortController {
  const controller = new AbortController()
  t.after(() => controller.abort())
  return controller
}

async function collect(chunks: AsyncIterable<LogChunk>): Promise<LogChunk[]> {
  const all: LogChunk[] = []
  for await (const chunk of chunks) all.push(chunk)
  return all
}

/** A promise for the follower's next wait (it caught up), and the onWait option that settles it. */
function waits(): { onWait: () => void; next: () => Promise<void> } {
  let pending = Promise.withResolvers<void>()
  return {
    onWait: () => pending.resolve(),
    next: () => {
      const current = pending.promise
      return current.then(() => {
        pending = Promise.withResolvers<void>()
      })
    },
  }
}

describe('followLog', { timeout: 60_000 }, () => {
  it('delivers a character split across two appends whole, then a complete chunk once the run is over', async (t) => {
    const file = tempLog(t, Buffer.from([0x61, 0xe2, 0x82]))
    const { promise: finished, resolve: finish } = Promise.withResolvers<void>()
    t.after(() => finish())
    const follow = followLog(file, 0, finished, { pollMs: 20 })
    assert.deepEqual(await follow.next(), { done: false, value: { text: 'a', offset: 1, complete: false } })
    fs.appendFileSync(file, Buffer.from([0xac, 0x62]))
    assert.deepEqual(await follow.next(), { done: false, value: { text: '€b', offset: 5, complete: false } })
    finish()
    await finished
    assert.deepEqual(await follow.next(), { done: false, value: { text: '', offset: 5, complete: true } })
    assert.deepEqual(await follow.next(), { done: true, value: undefined })
  })

  it('turns invalid bytes into U+FFFD', async (t) => {
    const file = tempLog(t, Buffer.from([0x61, 0xff, 0x62, 0xed, 0xa0, 0x80]))
    assert.deepEqual(await collect(followLog(file, 0, ended)), [{ text: 'a\uFFFDb\uFFFD\uFFFD\uFFFD', offset: 6, complete: true }])
  })

  it('decodes a partial character left at the end of a finished log as U+FFFD', async (t) => {
    const file = tempLog(t, Buffer.from([0x61, 0xf0, 0x9f]))
    assert.deepEqual(await collect(followLog(file, 0, ended)), [{ text: 'a\uFFFD', offset: 3, complete: true }])
  })

  it('from a middle offset, delivers exactly the rest of the log as it grows, in chunks of at most maxChunkBytes', async (t) => {
    const file = tempLog(t, 'first line\nsecond ')
    const appends = ['ünïcödé ', 'line\n', '😀 third\n']
    const { promise: finished, resolve: finish } = Promise.withResolvers<void>()
    t.after(() => finish())
    const chunks: LogChunk[] = []
    for await (const chunk of followLog(file, 11, finished, { pollMs: 20, maxChunkBytes: 5 })) {
      chunks.push(chunk)
      const next = appends.shift()
      if (next !== undefined) fs.appendFileSync(file, next)
      else {
        finish()
        await finished
      }
    }
    const content = fs.readFileSync(file)
    assert.equal(chunks.map((chunk) => chunk.text).join(''), content.subarray(11).toString('utf8'))
    assert.equal(chunks.map((chunk) => chunk.text).join(''), 'second ünïcödé line\n😀 third\n')
    let offset = 11
    for (const chunk of chunks.slice(0, -1)) {
      assert.ok(chunk.offset > offset && chunk.offset - offset <= 5, `${offset} → ${chunk.offset}`)
      assert.equal(chunk.text, content.subarray(offset, chunk.offset).toString('utf8'))
      assert.equal(chunk.complete, false)
      offset = chunk.offset
    }
    assert.deepEqual(chunks.at(-1), { text: content.subarray(offset).toString('utf8'), offset: content.length, complete: true })
  })

  it('reads no more than maxChunkBytes per chunk; the chunk that reaches the end of a finished log is the complete one', async (t) => {
    const file = tempLog(t, 'abcdefghij')
    assert.deepEqual(await collect(followLog(file, 0, ended, { maxChunkBytes: 4 })), [
      { text: 'abcd', offset: 4, complete: false },
      { text: 'efgh', offset: 8, complete: false },
      { text: 'ij', offset: 10, complete: true },
    ])
  })

  it('ends with one empty complete chunk when nothing is left to read', async (t) => {
    const file = tempLog(t, 'abc')
    assert.deepEqual(await collect(followLog(file, 3, ended)), [{ text: '', offset: 3, complete: true }])
  })

  it('treats a rejected finished promise as the end of the run', async (t) => {
    const file = tempLog(t, 'abc')
    assert.deepEqual(await collect(followLog(file, 0, Promise.reject(new Error('gone')))), [{ text: 'abc', offset: 3, complete: true }])
  })

  it('is woken by the file watcher, not only by the poll', { timeout: 5_000 }, async (t) => {
    const file = tempLog(t, 'a')
    // Should the watcher fail to wake it, the timeout fails the test and the signal ends the follower.
    const controller = abortedAfter(t)
    const waiting = waits()
    const follow = followLog(file, 0, never, { signal: controller.signal, pollMs: 60_000, onWait: waiting.onWait })
    assert.deepEqual(await follow.next(), { done: false, value: { text: 'a', offset: 1, complete: false } })
    const pending = follow.next()
    await waiting.next()
    fs.appendFileSync(file, 'b')
    assert.deepEqual(await pending, { done: false, value: { text: 'b', offset: 2, complete: false } })
    controller.abort()
    assert.deepEqual(await follow.next(), { done: true, value: undefined })
  })

  it('picks up a log that does not exist yet once it is written', async (t) => {
    const file = tempLog(t)
    const { promise: finished, resolve: finish } = Promise.withResolvers<void>()
    t.after(() => finish())
    const follow = followLog(file, 0, finished, { pollMs: 10 })
    const pending = follow.next()
    fs.writeFileSync(file, 'late')
    assert.deepEqual(await pending, { done: false, value: { text: 'late', offset: 4, complete: false } })
    finish()
    await finished
    assert.deepEqual(await collect(follow), [{ text: '', offset: 4, complete: true }])
  })

  it('ends when the signal aborts, releasing the watcher, the timer and the file', async (t) => {
    const file = tempLog(t, 'abc')
    const before = logResources(file)
    const controller = abortedAfter(t)
    const waiting = waits()
    const follow = followLog(file, 0, never, { signal: controller.signal, onWait: waiting.onWait })
    assert.deepEqual(await follow.next(), { done: false, value: { text: 'abc', offset: 3, complete: false } })
    const pending = follow.next()
    await waiting.next()
    await nextTurn() // the wait's timer is armed right after onWait
    // The poll timer exists but is unref'd: it keeps no process alive (nor does the watcher).
    assert.deepEqual(logResources(file), { watches: 1, descriptors: 1, timers: before.timers })
    controller.abort()
    assert.deepEqual(await pending, { done: true, value: undefined })
    assert.deepEqual(logResources(file), before)
  })

  it('yields nothing when the signal has already aborted', async (t) => {
    const file = tempLog(t, 'abc')
    assert.deepEqual(await collect(followLog(file, 0, never, { signal: AbortSignal.abort() })), [])
  })

  it('releases everything when the consumer stops iterating early', async (t) => {
    const file = tempLog(t, 'abc')
    const before = logResources(file)
    for await (const chunk of followLog(file, 0, never, { maxChunkBytes: 4, signal: abortedAfter(t).signal })) {
      assert.deepEqual(chunk, { text: 'abc', offset: 3, complete: false })
      assert.equal(logResources(file).watches, 1)
      break
    }
    assert.deepEqual(logResources(file), before)
  })

  it('never keeps a process alive on its own: a follower whose consumer gave up mid-wait lets it exit', { timeout: 30_000 }, async (t) => {
    const file = tempLog(t, 'abc')
    const module = path.resolve(import.meta.dirname, '../../src/logs/follow-log.ts')
    // The consumer asks for a chunk that never comes (the run never ends, no signal), then does nothing.
    const script = `
      import { followLog } from ${JSON.stringify(module)}
      const follow = followLog(${JSON.stringify(file)}, 0, new Promise(() => {}), { pollMs: 20 })
      await follow.next()
      void follow.next()
    `
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'inherit'] })
    // A timeout that kills: the test fails in seconds instead of hanging with the child.
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    t.after(() => {
      clearTimeout(killer)
      child.kill('SIGKILL')
    })
    const [code, signal] = await once(child, 'exit')
    assert.deepEqual({ code, signal }, { code: 0, signal: null })
  })
})
