import assert from 'node:assert/strict'
import { appendFileSync, readFileSync, statSync, truncateSync } from 'node:fs'
import { describe, it } from 'node:test'
import { setTimeout } from 'node:timers/promises'
import { logResources } from '../logs/log-resources.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { readSse } from '../helpers/sse-client.ts'
import { runLogFile } from '../../src/logs/file-log-store.ts'

/** A finished run of `command` (sh), with the path of its log. */
async function finishedRun(app: TestApp, command: string, taskName = 'log'): Promise<{ taskId: number; runId: number; file: string; url: string }> {
  const res = await app.createTask({ conda_env: 'base', task_name: taskName, command })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  const taskId = res.body.task.task_id
  const { runId } = await app.runningRun(taskId)
  await app.runFinished(runId)
  return { taskId, runId, file: runLogFile(app.paths.logsDir, runId), url: `/api/tasks/${taskId}/executions/${runId}/logs` }
}

const MiB = 1024 * 1024

// Every stream here ends with its test: readSse cancels its body when a loop stops early, and the app's
// close (t.after) cuts whatever is left; the timeouts turn a hang into a failure.
describe('GET /api/tasks/:id/executions/:eid/logs (spec 000)', { timeout: 300_000 }, () => {
  it('returns the whole log as JSON with is_complete and last_update', async (t) => {
    const app = await createTestApp(t)
    const res = await app.createTask({ conda_env: 'base', task_name: 'l', command: "printf 'out\\n'; printf 'err\\n' >&2; printf 'end\\n'" })
    const { runId } = await app.runningRun(res.body.task.task_id)
    await app.runFinished(runId)
    const log = await app.json(`/api/tasks/${res.body.task.task_id}/executions/${runId}/logs`)
    assert.equal(log.status, 200)
    assert.match(log.body.last_update, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    assert.deepEqual(log.body, {
      success: true,
      task_id: res.body.task.task_id,
      execution_id: String(runId),
      logs: 'out\nerr\nend\n',
      is_complete: true,
      last_update: log.body.last_update,
      offset: 0,
      next_offset: 12,
      size: 12,
      truncated_before: false,
      has_more: false,
      download_url: `/api/tasks/${res.body.task.task_id}/executions/${runId}/logs?download=1`,
    })
  })

  it('answers 404 for an unknown execution or one of another task', async (t) => {
    const app = await createTestApp(t)
    const a = await app.createTask({ conda_env: 'base', task_name: 'a', command: 'true' })
    const b = await app.createTask({ conda_env: 'base', task_name: 'b', command: 'true' })
    const { runId } = await app.runningRun(a.body.task.task_id)
    for (const url of [
      `/api/tasks/${b.body.task.task_id}/executions/${runId}/logs`,
      `/api/tasks/${a.body.task.task_id}/executions/9999/logs`,
      '/api/tasks/1/executions/x/logs?stream=true',
    ]) {
      const res = await app.json(url)
      assert.equal(res.status, 404, url)
      assert.deepEqual(res.body, { success: false, message: 'Task execution with ID not found' })
    }
  })

  it('streams: first event has everything so far, later ones only what is new, the last is complete; together they equal the stored log', async (t) => {
    const app = await createTestApp(t)
    // Output with CR, LF, "event:" and "data:" lines, and a UTF-8 character split across two writes.
    const script = [
      'import sys, time',
      'w = sys.stdout.buffer.write',
      'w(b"line one\\nevent: forged\\r\\ndata: {\\"is_complete\\": true}\\n\\n"); sys.stdout.flush()',
      'sys.stdin.readline()',
      'w("中".encode()[:1]); sys.stdout.flush(); time.sleep(0.05)',
      'w("中".encode()[1:] + b" done\\n\\xff tail\\n"); sys.stdout.flush()',
    ].join('\n')
    const res = await app.createTask({ conda_env: 'base', task_name: 's', interactive: 'true' }, { name: 's.py', content: script })
    const taskId = res.body.task.task_id
    const { runId } = await app.runningRun(taskId)
    const stream = await app.fetch(`/api/tasks/${taskId}/executions/${runId}/logs?stream=true`)
    assert.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8')
    const events: { logs: string; is_complete: boolean }[] = []
    const ids: string[] = []
    let sentInput = false
    for await (const frame of readSse(stream)) {
      assert.equal(frame.event, undefined, 'no event field can be forged by output')
      events.push(JSON.parse(frame.data))
      ids.push(frame.id!)
      if (
        !sentInput &&
        events
          .map((e) => e.logs)
          .join('')
          .includes('data: ')
      ) {
        sentInput = true
        app.worker.input(runId, 'go\n')
      }
    }
    const stored = readFileSync(runLogFile(app.paths.logsDir, runId))
    const joined = events.map((e) => e.logs).join('')
    assert.equal(joined, stored.toString('utf8'))
    assert.ok(joined.includes('中 done\n\uFFFD tail\n'))
    assert.ok(!events.some((e) => e.logs.includes('\uFFFD') && e.logs.length === 1), 'a split character is never sent as U+FFFD')
    assert.deepEqual(
      events.map((e) => e.is_complete),
      [...events.slice(1).map(() => false), true],
    )
    assert.equal(Number(ids.at(-1)), stored.length)
  })

  it('resumes from Last-Event-ID without gaps or repeats', async (t) => {
    const app = await createTestApp(t)
    const res = await app.createTask({ conda_env: 'base', task_name: 'r', command: 'printf "alpha\\n"; printf "beta\\n"' })
    const taskId = res.body.task.task_id
    const { runId } = await app.runningRun(taskId)
    await app.runFinished(runId)
    const stored = readFileSync(runLogFile(app.paths.logsDir, runId), 'utf8')
    for (const offset of [0, 3, 6, stored.length]) {
      const stream = await app.fetch(`/api/tasks/${taskId}/executions/${runId}/logs?stream=true`, { headers: { 'last-event-id': String(offset) } })
      let text = ''
      let last: { is_complete: boolean } | undefined
      for await (const frame of readSse(stream)) {
        last = JSON.parse(frame.data)
        text += (last as unknown as { logs: string }).logs
      }
      assert.equal(text, stored.slice(offset), `from ${offset}`)
      assert.equal(last?.is_complete, true)
    }
  })

  it('a client that stops reading does not hold the run back', async (t) => {
    const app = await createTestApp(t)
    const res = await app.createTask({ conda_env: 'base', task_name: 'big', command: 'head -c 20000000 /dev/zero | tr "\\0" x' })
    const taskId = res.body.task.task_id
    const { runId } = await app.runningRun(taskId)
    const stalled = await app.fetch(`/api/tasks/${taskId}/executions/${runId}/logs?stream=true`)
    const reader = stalled.body!.getReader()
    try {
      await reader.read() // one read, then never again
      await app.runFinished(runId)
      assert.equal(readFileSync(runLogFile(app.paths.logsDir, runId)).length, 20_000_000)
    } finally {
      await reader.cancel()
    }
  })
})

for (const dialect of testDialects()) {
  describe(`${dialect.name}: logs in bounded memory (ranges, tail, download)`, { skip: dialect.skip, timeout: 300_000 }, () => {
    it('serves byte ranges exact to the byte, never starting or ending inside a character', async (t) => {
      const app = await createTestApp(t, { dialect })
      // a b € c d 😀 e \n: € is bytes 2-4, 😀 bytes 7-10; 13 bytes.
      const { taskId, runId, file, url } = await finishedRun(app, "printf 'ab\\342\\202\\254cd\\360\\237\\230\\200e\\n'")
      assert.equal(readFileSync(file, 'utf8'), 'ab€cd😀e\n')
      const page = (text: string, offset: number, nextOffset: number) => ({
        success: true,
        task_id: taskId,
        execution_id: String(runId),
        logs: text,
        is_complete: true,
        offset,
        next_offset: nextOffset,
        size: 13,
        truncated_before: offset > 0,
        has_more: nextOffset < 13,
        download_url: `${url}?download=1`,
      })
      const cases: [string, string, number, number][] = [
        ['offset=0&limit=2', 'ab', 0, 2],
        ['offset=2&limit=3', '€', 2, 5],
        ['offset=2&limit=4', '€c', 2, 6],
        ['offset=2&limit=2', '€', 2, 5],
        // Inside €: moved to the next character, and the skipped bytes count against the limit.
        ['offset=3&limit=3', 'c', 5, 6],
        ['offset=4', 'cd😀e\n', 5, 13],
        // A limit shorter than the character there still reads that one character.
        ['offset=7&limit=2', '😀', 7, 11],
        ['offset=5', 'cd😀e\n', 5, 13],
        ['offset=13', '', 13, 13],
        // Without an offset: the last `limit` bytes.
        ['limit=6', '😀e\n', 7, 13],
        ['limit=5', 'e\n', 11, 13],
        ['limit=100', 'ab€cd😀e\n', 0, 13],
        ['', 'ab€cd😀e\n', 0, 13],
      ]
      for (const [query, text, offset, nextOffset] of cases) {
        const res = await app.json(`${url}?${query}`)
        assert.equal(res.status, 200, query)
        assert.deepEqual(res.body, { ...page(text, offset, nextOffset), last_update: res.body.last_update }, query)
        assert.match(res.body.last_update, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
      }
    })

    it('refuses a bad offset or limit with 400 and what is wrong, and changes nothing', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { runId, file, url } = await finishedRun(app, "printf 'hello\\n'")
      const runBefore = await app.store.runs.findById(runId)
      const offsetError = 'offset must be a whole number of bytes, 0 or more'
      const limitError = 'limit must be a whole number of bytes from 1 to 8388608 (download=1 serves the whole log)'
      const cases: [string, string][] = [
        ['offset=-1', offsetError],
        ['offset=abc', offsetError],
        ['offset=1.5', offsetError],
        ['offset=0x1', offsetError],
        ['offset=1e3', offsetError],
        ['offset=', offsetError],
        ['offset=7', 'offset 7 is past the end of the log (6 bytes)'],
        ['limit=0', limitError],
        ['limit=8388609', limitError],
        ['limit=ten', limitError],
        ['offset=0&limit=-5', limitError],
        ['download=1&offset=0', 'download=1 serves the whole log; it takes no offset or limit'],
        ['stream=true&limit=5', 'stream=true resumes with the Last-Event-ID header; it takes no offset or limit'],
        ['stream=true&download=1', 'choose stream=true or download=1, not both'],
      ]
      for (const [query, error] of cases) {
        const res = await app.json(`${url}?${query}`)
        assert.equal(res.status, 400, query)
        assert.deepEqual(res.body, { success: false, message: 'Invalid log range', error }, query)
      }
      assert.equal(readFileSync(file, 'utf8'), 'hello\n')
      assert.deepEqual(await app.store.runs.findById(runId), runBefore)
    })

    it('answers a 600 MB log with its last MiB and pointers to the rest', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { taskId, runId, file, url } = await finishedRun(app, "printf 'first line\\n'")
      // Sparse up to 598 MiB (no disk blocks), then 2 MiB of real lines at the end.
      const size = 600 * MiB
      truncateSync(file, size - 2 * MiB)
      const line = (i: number): string => `line ${String(i).padStart(9, '0')} ${'x'.repeat(48)}\n` // 64 bytes
      const tail = Array.from({ length: (2 * MiB) / 64 }, (_, i) => line(i)).join('')
      appendFileSync(file, tail)
      assert.equal(statSync(file).size, size)
      const res = await app.json(url)
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, {
        success: true,
        task_id: taskId,
        execution_id: String(runId),
        logs: tail.slice(MiB),
        is_complete: true,
        last_update: res.body.last_update,
        offset: size - MiB,
        next_offset: size,
        size,
        truncated_before: true,
        has_more: false,
        download_url: `${url}?download=1`,
      })
      const start = await app.json(`${url}?offset=0&limit=11`)
      assert.deepEqual([start.status, start.body.logs, start.body.next_offset, start.body.has_more], [200, 'first line\n', 11, true])
    })

    it('downloads the whole log as a text/plain attachment named after the task, byte for byte', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { runId, file, url } = await finishedRun(app, "printf 'a\\342\\202\\254\\n'; head -c 3000000 /dev/zero | tr '\\0' y", '夜间 "report"')
      const res = await app.fetch(`${url}?download=1`)
      assert.equal(res.status, 200)
      const body = Buffer.from(await res.arrayBuffer())
      assert.deepEqual(body, readFileSync(file))
      assert.equal(body.length, 3_000_005)
      assert.deepEqual(
        {
          type: res.headers.get('content-type'),
          length: res.headers.get('content-length'),
          disposition: res.headers.get('content-disposition'),
        },
        {
          type: 'text/plain; charset=utf-8',
          length: '3000005',
          disposition: `attachment; filename="____report_-execution-${runId}.log"; filename*=UTF-8''%E5%A4%9C%E9%97%B4%20%22report%22-execution-${runId}.log`,
        },
      )
      const head = await app.fetch(`${url}?download=1`, { method: 'HEAD' })
      assert.deepEqual([head.status, head.headers.get('content-length'), await head.text()], [200, '3000005', ''])
    })

    it('a client that abandons a download releases the log file', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { file, url } = await finishedRun(app, "printf 'x\\n'")
      truncateSync(file, 50 * MiB)
      const before = logResources(file).descriptors
      const res = await app.fetch(`${url}?download=1`)
      const reader = res.body!.getReader()
      try {
        assert.ok(!(await reader.read()).done)
        assert.equal(logResources(file).descriptors, before + 1)
      } finally {
        await reader.cancel()
      }
      // The server learns of the closed socket on its own schedule: bounded turns of the loop.
      for (let turn = 0; turn < 2_000 && logResources(file).descriptors > before; turn++) await setTimeout(5)
      assert.equal(logResources(file).descriptors, before)
    })

    it('downloads an empty log as an empty attachment', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { url } = await finishedRun(app, 'true')
      const res = await app.fetch(`${url}?download=1`)
      assert.deepEqual([res.status, res.headers.get('content-length'), await res.text()], [200, '0', ''])
    })

    it('answers 404 for a download of an execution of another task', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { runId } = await finishedRun(app, 'true', 'a')
      const other = await app.createTask({ conda_env: 'base', task_name: 'b', command: 'true', delay_seconds: '3600' })
      const res = await app.json(`/api/tasks/${other.body.task.task_id}/executions/${runId}/logs?download=1`)
      assert.deepEqual([res.status, res.body], [404, { success: false, message: 'Task execution with ID not found' }])
    })
  })
}
