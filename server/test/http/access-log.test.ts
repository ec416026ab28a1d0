/**
 * Issue 10: request logging that costs little at 500 requests/s. A real server (startTaskyard)
 * with its real pino logger, writing to a stream the test reads.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { describe, it, type TestContext } from 'node:test'
import { loadConfig } from '../../src/config/config.ts'
import { startTaskyard } from '../../src/main.ts'

interface Line {
  level: number
  msg: string
  [key: string]: unknown
}

async function serverLogging(t: TestContext, level: string): Promise<{ url: string; lines: Line[]; close(): Promise<void> }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'taskyard-access-log-'))
  const lines: Line[] = []
  const stream = new PassThrough()
  let rest = ''
  stream.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString('utf8')).split('\n')
    rest = parts.pop()!
    for (const part of parts) if (part.trim()) lines.push(JSON.parse(part) as Line)
  })
  const config = loadConfig(
    { host: '127.0.0.1', port: '0', dataDir },
    { ...process.env, TASKYARD_ADMIN_PASSWORD: 'access-log-test-password', TASKYARD_LOG_LEVEL: level, TASKYARD_MAX_WORKERS: '4' },
  )
  // The summary interval is long: the summary this test sees is the one written at close.
  const server = await startTaskyard(config, { log: () => undefined, logStream: stream, accessLogSummaryMs: 3_600_000 })
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await server.close()
    // pino writes asynchronously to a stream: let it drain.
    await new Promise((resolve) => setImmediate(resolve))
  }
  t.after(async () => {
    await close()
    await rm(dataDir, { recursive: true, force: true })
  })
  return { url: server.url, lines, close }
}

async function requests(url: string): Promise<void> {
  for (let i = 0; i < 10; i++) assert.equal((await fetch(`${url}/healthz`)).status, 200)
  for (let i = 0; i < 5; i++) assert.equal((await fetch(`${url}/api/tasks`)).status, 401)
}

describe('access log (issue 10)', () => {
  it('at info: no line per request, one summary of them all', async (t) => {
    const server = await serverLogging(t, 'info')
    await requests(server.url)
    await server.close()
    const perRequest = server.lines.filter((l) => l.msg === 'incoming request' || l.msg === 'request completed')
    assert.deepEqual(perRequest, [], 'no line per request at info')
    const summaries = server.lines.filter((l) => l.msg === 'requests completed')
    assert.equal(summaries.length, 1, JSON.stringify(server.lines))
    assert.equal(summaries[0]!.level, 30)
    assert.equal(summaries[0]!.requests, 15)
    assert.deepEqual(summaries[0]!.statuses, { '2xx': 10, '4xx': 5 })
    assert.equal(typeof summaries[0]!.meanMs, 'number')
    assert.ok((summaries[0]!.maxMs as number) >= (summaries[0]!.meanMs as number))
  })

  it('at debug: every request in full, as Fastify logged it', async (t) => {
    const server = await serverLogging(t, 'debug')
    await requests(server.url)
    await server.close()
    const incoming = server.lines.filter((l) => l.msg === 'incoming request')
    const completed = server.lines.filter((l) => l.msg === 'request completed')
    assert.equal(incoming.length, 15)
    assert.equal(completed.length, 15)
    assert.deepEqual(
      incoming.slice(0, 1).map((l) => (l.req as { method: string; url: string }).url),
      ['/healthz'],
    )
    assert.deepEqual(
      completed.map((l) => (l.res as { statusCode: number }).statusCode),
      [...Array(10).fill(200), ...Array(5).fill(401)],
    )
    assert.ok(completed.every((l) => typeof l.responseTime === 'number' && typeof l.reqId === 'string'))
  })
})
