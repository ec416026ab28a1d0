/**
 * A separate process using the same SQLite file, for the cross-process tests:
 * `node store-child-process.ts <databaseUrl> <migrate|claim|hold> <label>`.
 * Prints "ready", waits for a line on stdin so that all children start together, then does its
 * part and prints one JSON line with what it did.
 * `hold` is another program on the file (a backup, the sqlite3 shell): it takes the write lock
 * with BEGIN IMMEDIATE, prints "locked", holds it until the next line on stdin, then rolls back
 * and prints "released".
 */
import { once } from 'node:events'
import { DatabaseSync } from 'node:sqlite'
import { openStore } from '../../src/store/kysely-store.ts'
import { sqliteFileFromUrl } from '../../src/store/sqlite.ts'
import { newTask } from './store-fixtures.ts'

const [databaseUrl, mode, label] = process.argv.slice(2)
if (!databaseUrl || !label || (mode !== 'migrate' && mode !== 'claim' && mode !== 'hold')) throw new Error('usage: <databaseUrl> <migrate|claim|hold> <label>')

if (mode === 'hold') {
  const db = new DatabaseSync(sqliteFileFromUrl(databaseUrl))
  process.stdout.write('ready\n')
  const lines = process.stdin[Symbol.asyncIterator]()
  await lines.next()
  db.exec('BEGIN IMMEDIATE')
  process.stdout.write('locked\n')
  await lines.next()
  db.exec('ROLLBACK')
  db.close()
  process.stdout.write('released\n')
  process.exit(0)
}

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
