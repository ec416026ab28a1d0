/**
 * A separate process using the same SQLite file, for the cross-process tests:
 * `node store-child-process.ts <databaseUrl> <migrate|claim> <label>`.
 * Prints "ready", waits for a line on stdin so that all children start together, then does its
 * part and prints one JSON line with what it did.
 */
import { once } from 'node:events'
import { openStore } from '../../src/store/kysely-store.ts'
import { newTask } from './store-fixtures.ts'

const [databaseUrl, mode, label] = process.argv.slice(2)
if (!databaseUrl || !label || (mode !== 'migrate' && mode !== 'claim')) throw new Error('usage: <databaseUrl> <migrate|claim> <label>')

process.stdout.write('ready\n')
await once(process.stdin, 'data')
process.stdin.pause()

const store = await openStore({ databaseUrl })
try {
  if (mode === 'migrate') {
    const task = await store.tasks.insert(newTask({ name: label }))
    process.stdout.write(`${JSON.stringify({ taskId: task.id })}\n`)
  } else {
    const claimed: number[] = []
    for (;;) {
      // Read, then write, in one transaction: the pattern that deadlocks two processes on a
      // lock upgrade unless the transaction takes the write lock at BEGIN.
      const run = await store.transaction(async (tx) => {
        await tx.runs.listActive()
        const next = await tx.runs.claimNext(label, Date.now())
        if (next) await tx.runs.update(next.id, { pid: process.pid })
        return next
      })
      if (!run) break
      claimed.push(run.id)
    }
    process.stdout.write(`${JSON.stringify({ claimed })}\n`)
  }
} finally {
  await store.close()
}
