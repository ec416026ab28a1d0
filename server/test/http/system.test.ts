import assert from 'node:assert/strict'
import { readFileSync, statfsSync } from 'node:fs'
import os from 'node:os'
import { describe, it } from 'node:test'
import { createTestApp } from '../helpers/test-app.ts'

const UNAUTHENTICATED = { success: false, message: 'Authentication required', error: 'Please log in to perform this operation' }

function memTotalBytes(): number {
  return Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024
}

describe('system monitor routes (spec 004)', () => {
  it('GET /api/system: CPU, load, memory, the data directory disk and uptime, for any logged-in user', async (t) => {
    const app = await createTestApp(t)
    const viewer = await app.addUser('vera', 'viewer')
    const res = await app.jsonAs({ cookie: viewer.cookie }, '/api/system')
    assert.equal(res.status, 200)
    const b = res.body
    assert.deepEqual(Object.keys(b).sort(), [
      'cpu_count',
      'cpu_percent',
      'disk',
      'load_average',
      'memory',
      'server_uptime_seconds',
      'success',
      'uptime_seconds',
    ])
    assert.equal(b.success, true)
    assert.equal(b.cpu_count, os.availableParallelism())
    assert.ok(b.cpu_percent >= 0 && b.cpu_percent <= 100, String(b.cpu_percent))
    assert.equal(b.load_average.length, 3)
    assert.equal(b.memory.total_bytes, memTotalBytes())
    assert.ok(b.memory.used_bytes > 0 && b.memory.used_bytes < b.memory.total_bytes)
    assert.equal(b.memory.percent, Math.round((b.memory.used_bytes / b.memory.total_bytes) * 1000) / 10)
    const fsStat = statfsSync(app.dataDir)
    assert.equal(b.disk.path, app.dataDir)
    assert.equal(b.disk.total_bytes, fsStat.blocks * fsStat.bsize)
    assert.ok(b.disk.free_bytes > 0 && b.disk.used_bytes > 0)
    assert.ok(b.uptime_seconds >= b.server_uptime_seconds && b.server_uptime_seconds >= 0)
    assert.deepEqual(await app.jsonAs(null, '/api/system'), { status: 401, body: UNAUTHENTICATED })
  })

  it('GET /api/system/processes: a running run with its CPU, a paused one stopped (T, or D when its cgroup is frozen) with no CPU, none after stop', async (t) => {
    const app = await createTestApp(t)
    assert.deepEqual((await app.json('/api/system/processes')).body, { success: true, processes: [] })
    const created = await app.createTask({ conda_env: 'base', task_name: 'spin <b>', command: 'while :; do :; done' })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const taskId = created.body.task.task_id as number
    const { runId, pid } = await app.runningRun(taskId)
    const viewer = await app.addUser('vera', 'viewer')

    const running = await app.jsonAs({ bearer: viewer.bearer }, '/api/system/processes')
    assert.equal(running.status, 200)
    assert.equal(running.body.processes.length, 1, JSON.stringify(running.body))
    const p = running.body.processes[0]
    assert.deepEqual(
      { ...p, cpu_percent: p.cpu_percent > 20, memory_bytes: p.memory_bytes > 0 },
      {
        pid,
        ppid: p.ppid,
        pgid: pid,
        state: 'R',
        name: 'sh',
        command: '/bin/sh -c while :; do :; done',
        cpu_percent: true,
        memory_bytes: true,
        task_id: taskId,
        task_name: 'spin <b>',
        execution_id: runId,
        execution_status: 'running',
      },
    )

    assert.equal((await app.json(`/api/tasks/${taskId}/pause`, { method: 'POST' })).status, 200)
    const paused = (await app.json('/api/system/processes')).body.processes
    // SIGSTOP shows T; a frozen cgroup (the executor's first choice) shows D. Either way: no CPU.
    assert.deepEqual(
      paused.map((q: any) => [q.pid, ['T', 'D'].includes(q.state), q.cpu_percent, q.execution_status]),
      [[pid, true, 0, 'paused']],
    )

    assert.equal((await app.json(`/api/tasks/${taskId}/stop`, { method: 'POST' })).status, 200)
    await app.runFinished(runId)
    assert.deepEqual((await app.json('/api/system/processes')).body, { success: true, processes: [] })
  })
})
