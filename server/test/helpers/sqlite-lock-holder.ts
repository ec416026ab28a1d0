/** Another real process that holds the SQLite write lock (BEGIN IMMEDIATE) until told to let go. */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'

const CHILD = fileURLToPath(new URL('../store/store-child-process.ts', import.meta.url))

export interface LockHolder {
  pid: number
  /** Ends the holder at once (the kernel drops its lock); for cleanups that must not wait. */
  kill(): void
  /** Rolls back, closes the file and waits for the process to exit. */
  release(): Promise<void>
}

export async function holdSqliteWriteLock(t: TestContext, databaseUrl: string): Promise<LockHolder> {
  const child = spawn(process.execPath, [CHILD, databaseUrl, 'hold', 'holder'], { stdio: ['pipe', 'pipe', 'inherit'] })
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const expect = async (line: string): Promise<void> => {
    const next = await lines.next()
    if (next.done || next.value !== line) throw new Error(`lock holder said ${JSON.stringify(next.value)}, expected ${line}`)
  }
  await expect('ready')
  child.stdin.write('lock\n')
  await expect('locked')
  return {
    pid: child.pid!,
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL')
    },
    async release() {
      const exited = once(child, 'exit')
      child.stdin.end('release\n')
      await expect('released')
      const [code] = await exited
      if (code !== 0) throw new Error(`lock holder exited with ${code}`)
    },
  }
}
