/**
 * Issue 6 item 5: reading a huge log costs the server bounded memory. Measured on a real server
 * (the CLI as a child process): its peak RSS (VmHWM, reset through clear_refs) while three clients
 * download a 200 MB log and three more read its JSON tail at the same time.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { appendFileSync, createReadStream, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { readSse } from '../helpers/sse-client.ts'

const CLI = path.resolve(import.meta.dirname, '../../bin/taskyard.js')
const PASSWORD = 'memory-test-admin-password'
const MiB = 1024 * 1024
const LOG_BYTES = 200 * MiB
const MAX_GROWTH_BYTES = 64 * MiB

/** Starts `taskyard serve`; killed (and waited for) when the test ends, however it ends. */
async function startServer(t: TestContext, dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: { ...process.env, TASKYARD_LOG_LEVEL: 'warn', TASKYARD_ADMIN_PASSWORD: PASSWORD },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  })
  let out = ''
  for await (const chunk of child.stdout!) {
    out += String(chunk)
    const m = /Taskyard is running at (http:\/\/\S+)/.exec(out)
    if (m) {
      child.stdout!.resume()
      return { child, url: m[1]! }
    }
  }
  throw new Error(`taskyard exited before printing its URL: ${out}`)
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!m) throw new Error(`no ${field} for ${pid}`)
  return Number(m[1]) * 1024
}

async function digest(chunks: AsyncIterable<Uint8Array>): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of chunks) {
    hash.update(chunk)
    bytes += chunk.length
  }
  return { bytes, sha256: hash.digest('hex') }
}

describe('log reads in bounded server memory (real server)', { timeout: 180_000 }, () => {
  it('three concurrent downloads and tails of a 200 MB log grow the server by less than 64 MB', async (t) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'taskyard-logmem-'))
    t.after(() => rm(dataDir, { recursive: true, force: true }))
    const { child, url } = await startServer(t, dataDir)
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    })
    const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` }
    const form = new FormData()
    form.set('script_file', new Blob(['print(1)\n']), 'job.py')
    form.set('conda_env', 'base')
    form.set('command', "printf 'start\\n'")
    const created = (await (await fetch(`${url}/api/tasks`, { method: 'POST', body: form, headers: auth })).json()) as any
    const taskId = created.task.task_id
    // A task that runs now has its run queued by the time create answers; a real client polls for it (bounded).
    let runId: string | null = null
    for (let i = 0; i < 200 && runId === null; i++) {
      const task = (await (await fetch(`${url}/api/tasks/${taskId}`, { headers: auth })).json()) as any
      runId = task.task.last_execution_id
      if (runId === null) await new Promise((resolve) => setTimeout(resolve, 25))
    }
    assert.ok(runId !== null, 'the task never got a run')
    // Its end is awaited on the log stream itself: the last event is marked complete.
    const logsUrl = `${url}/api/tasks/${taskId}/executions/${runId}/logs`
    const stream = await fetch(`${logsUrl}?stream=true`, { headers: auth })
    for await (const frame of readSse(stream)) if (JSON.parse(frame.data).is_complete) break

    const file = path.join(dataDir, 'logs', `${runId}.log`)
    truncateSync(file, LOG_BYTES - MiB) // sparse: no disk blocks
    appendFileSync(file, Buffer.alloc(MiB, 'tail line\n'))
    assert.equal(statSync(file).size, LOG_BYTES)
    const expected = await digest(createReadStream(file))

    const baseline = statusField(child.pid!, 'VmRSS')
    writeFileSync(`/proc/${child.pid}/clear_refs`, '5') // resets VmHWM to the current RSS
    const [downloads, tails] = await Promise.all([
      Promise.all([1, 2, 3].map(async () => digest((await fetch(`${logsUrl}?download=1`, { headers: auth })).body!))),
      Promise.all([1, 2, 3].map(async () => (await fetch(logsUrl, { headers: auth })).json() as Promise<any>)),
    ])
    const growth = statusField(child.pid!, 'VmHWM') - baseline
    t.diagnostic(`server RSS ${Math.round(baseline / MiB)} MiB before, peak growth ${Math.round(growth / MiB)} MiB`)

    assert.deepEqual(downloads, [expected, expected, expected])
    for (const tail of tails) {
      assert.deepEqual([tail.logs.length, tail.offset, tail.next_offset, tail.size, tail.truncated_before], [MiB, LOG_BYTES - MiB, LOG_BYTES, LOG_BYTES, true])
    }
    assert.ok(growth < MAX_GROWTH_BYTES, `server RSS grew by ${growth} bytes`)
  })
})
