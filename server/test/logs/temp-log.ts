import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'

/** A log file in a fresh directory, removed after the test. */
export function tempLog(t: TestContext, content?: string | Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskyard-log-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'run.log')
  if (content !== undefined) fs.writeFileSync(file, content)
  return file
}
