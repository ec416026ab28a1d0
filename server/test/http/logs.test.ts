import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { createTestApp } from '../helpers/test-app.ts'
import { readSse } from '../helpers/sse-client.ts'

describe('GET /api/tasks/:id/executions/:eid/logs (spec 000)', () => {
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
    for (const url of [`/api/tasks/${b.body.task.task_id}/executions/${runId}/logs`, `/api/tasks/${a.body.task.task_id}/executions/9999/logs`, '/api/tasks/1/executions/x/logs?stream=true']) {
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
    const res = await app.createTask({ conda_env: 'base', task_name: 's' }, { name: 's.py', content: script })
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
      if (!sentInput && events.map((e) => e.logs).join('').includes('data: ')) {
        sentInput = true
        app.runs.writeInput(runId, 'go\n')
      }
    }
    const stored = readFileSync(app.paths.runLog(runId))
    const joined = events.map((e) => e.logs).join('')
    assert.equal(joined, stored.toString('utf8'))
    assert.ok(joined.includes('中 done\n\uFFFD tail\n'))
    assert.ok(!events.some((e) => e.logs.includes('\uFFFD') && e.logs.length === 1), 'a split character is never sent as U+FFFD')
    assert.deepEqual(events.map((e) => e.is_complete), [...events.slice(1).map(() => false), true])
    assert.equal(Number(ids.at(-1)), stored.length)
  })

  it('resumes from Last-Event-ID without gaps or repeats', async (t) => {
    const app = await createTestApp(t)
    const res = await app.createTask({ conda_env: 'base', task_name: 'r', command: 'printf "alpha\\n"; printf "beta\\n"' })
    const taskId = res.body.task.task_id
    const { runId } = await app.runningRun(taskId)
    await app.runFinished(runId)
    const stored = readFileSync(app.paths.runLog(runId), 'utf8')
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
    await reader.read() // one read, then never again
    await app.runFinished(runId)
    assert.equal(readFileSync(app.paths.runLog(runId)).length, 20_000_000)
    await reader.cancel()
  })
})
