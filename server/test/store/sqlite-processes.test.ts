import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { openStore } from '../../src/store/kysely-store.ts'
import { newRun, newTask, T0 } from './store-fixtures.ts'

const CHILD = fileURLToPath(new URL('./store-child-process.ts', import.meta.url))

async function newDatabaseUrl(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-processes-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return `sqlite:${path.join(dir, 'taskyard.db')}`
}

/** Runs `count` children together (each waits until all are ready) and returns their results. */
async function runChildren(databaseUrl: string, mode: 'migrate' | 'claim', count: number): Promise<unknown[]> {
  const children = Array.from({ length: count }, (_, i) => {
    const child = spawn(process.execPath, [CHILD, databaseUrl, mode, `child-${i}`], { stdio: ['pipe', 'pipe', 'inherit'] })
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
    return { child, lines }
  })
  for (const { lines } of children) assert.deepEqual(await lines.next(), { value: 'ready', done: false })
  for (const { child } of children) child.stdin.end('go\n')
  return Promise.all(
    children.map(async ({ child, lines }) => {
      const result = await lines.next()
      const [code] = await once(child, 'exit')
      assert.equal(code, 0)
      assert.equal(result.done, false)
      return JSON.parse(result.value as string)
    }),
  )
}

describe('sqlite: several processes on one file', () => {
  it('migrate a new database once when they open it at the same time', async (t) => {
    const databaseUrl = await newDatabaseUrl(t)
    const results = (await runChildren(databaseUrl, 'migrate', 3)) as { taskId: number }[]
    assert.deepEqual(results.map((r) => r.taskId).sort(), [1, 2, 3])
    const store = await openStore({ databaseUrl })
    t.after(() => store.close())
    assert.deepEqual((await store.tasks.list()).map((task) => task.name).sort(), ['child-0', 'child-1', 'child-2'])
  })

  it('claim each run exactly once, in read-then-write transactions, without deadlocking', async (t) => {
    const databaseUrl = await newDatabaseUrl(t)
    const store = await openStore({ databaseUrl })
    t.after(() => store.close())
    const task = await store.tasks.insert(newTask({ concurrency: 'allow' }))
    const runIds: number[] = []
    for (let i = 0; i < 60; i++) runIds.push((await store.runs.insert(newRun(task.id, { queuedAt: T0 + i }))).id)

    const results = (await runChildren(databaseUrl, 'claim', 3)) as { claimed: number[] }[]
    const claimed = results.flatMap((r) => r.claimed)
    assert.deepEqual(
      claimed.sort((a, b) => a - b),
      runIds,
    )
    for (const [i, result] of results.entries()) {
      for (const id of result.claimed) assert.equal((await store.runs.findById(id))?.workerId, `child-${i}`)
    }
  })
})
