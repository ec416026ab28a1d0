import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { closedGate, writeSdist, type Gate } from '../helpers/sdists.ts'
import { readSse } from '../helpers/sse-client.ts'
import { offlinePipEnv, wheelhouse } from '../helpers/wheels.ts'

const JSON_HEADERS = { 'content-type': 'application/json' }
const send = (app: TestApp, method: string, p: string, body?: unknown) =>
  app.json(p, { method, ...(body === undefined ? {} : { headers: JSON_HEADERS, body: JSON.stringify(body) }) })
const DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/

/** Local wheels, a source distribution whose build fails, and one that waits at `gate` while it builds. */
async function appWithPackages(t: TestContext, dialect: ReturnType<typeof testDialects>[number]): Promise<{ app: TestApp; gate: Gate }> {
  const wheels = await wheelhouse(t, [{ name: 'tyb-alpha' }])
  await writeSdist(wheels, 'tyb-broken', { fail: true })
  const gate = await closedGate(wheels)
  await writeSdist(wheels, 'tyb-slow', { gate })
  const app = await createTestApp(t, { dialect, env: offlinePipEnv(wheels) })
  return { app, gate }
}

/** Resolves once a build waits at the gate (a file per waiting build appears). */
async function buildWaiting(gate: Gate): Promise<void> {
  while ((await readdir(gate.startedDir)).length === 0) await new Promise((r) => setTimeout(r, 20))
}

for (const dialect of testDialects()) {
  describe(`environment builds: status, last_build and the build log (${dialect.name}; real venvs and pip)`, { skip: dialect.skip }, () => {
    it('records every build with its log; a failed install is `failed` with pip’s explaining lines, the environment unchanged', async (t) => {
      const { app } = await appWithPackages(t, dialect)
      assert.equal((await send(app, 'POST', '/api/conda/environment', { name: 'proj', requirements: 'tyb-alpha\n' })).status, 201)
      let detail = await app.json('/api/conda/environment/proj')
      assert.equal(detail.body.status, 'ready')
      const created = detail.body.last_build
      assert.deepEqual(created, {
        id: created.id,
        action: 'create',
        started_at: created.started_at,
        ended_at: created.ended_at,
        ok: true,
        error: null,
        log_url: `/api/conda/environment/proj/build-log?build_id=${created.id}`,
      })
      assert.match(created.started_at, DATE)
      assert.match(created.ended_at, DATE)
      const base = (await app.json('/api/conda/environments')).body.find((e: any) => e.name === 'base')
      assert.deepEqual([base.status, base.last_build], ['ready', null])

      const log = await app.json(created.log_url)
      assert.equal(log.status, 200)
      assert.equal(log.body.is_complete, true)
      assert.match(log.body.logs, /^\$ \S+ -m venv /m)
      assert.match(log.body.logs, /^requirements\.txt:\ntyb-alpha\n/m)
      assert.match(log.body.logs, /^\$ python -m pip install .* -r requirements\.txt$/m)
      assert.match(log.body.logs, /^Successfully installed tyb-alpha-1\.0$/m)
      assert.match(log.body.logs, /\nBuild succeeded\.\n$/)
      assert.deepEqual([log.body.offset, log.body.next_offset, log.body.size], [0, Buffer.byteLength(log.body.logs), Buffer.byteLength(log.body.logs)])

      // A build failure: pip blames the package, and the build's own words come with it.
      const broken = await send(app, 'POST', '/api/conda/environment/proj/packages', { packages: ['tyb-broken'] })
      assert.equal(broken.status, 400)
      assert.deepEqual(broken.body.failed_packages, ['tyb-broken'])
      assert.match(broken.body.error_details[0], /Could not build wheels for tyb-broken|Failed to build (installable wheels .*)?tyb-broken/)
      assert.match(broken.body.error_details[0], /The build said: error: tyb test build failed on purpose: no compiler for tyb-broken/)
      // A version that does not exist, and a conflict: each with pip's line.
      const missing = await send(app, 'POST', '/api/conda/environment/proj/packages', { packages: ['tyb-alpha==9.9'] })
      assert.deepEqual(missing.body.failed_packages, ['tyb-alpha'])
      assert.match(
        missing.body.error_details[0],
        /No matching distribution found for tyb-alpha==9\.9|Could not find a version that satisfies the requirement tyb-alpha==9\.9/,
      )

      detail = await app.json('/api/conda/environment/proj')
      assert.equal(detail.body.status, 'failed')
      assert.equal(detail.body.last_build.action, 'install')
      assert.equal(detail.body.last_build.ok, false)
      assert.match(detail.body.last_build.error, /tyb-alpha==9\.9/)
      assert.deepEqual(
        detail.body.packages.filter((p: any) => p.name.startsWith('tyb-')),
        [{ name: 'tyb-alpha', version: '1.0' }],
      )
      const failedLog = await app.json(`/api/conda/environment/proj/build-log`)
      assert.equal(failedLog.body.build.id, detail.body.last_build.id)
      assert.match(failedLog.body.logs, /\nBuild failed:\n/)

      // Streamed: a finished build's log is one event, marked complete.
      const res = await app.fetch(`${created.log_url}&stream=true`)
      assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8')
      const events = []
      for await (const frame of readSse(res)) events.push({ id: frame.id, ...JSON.parse(frame.data) })
      assert.deepEqual(events, [{ id: String(log.body.size), logs: log.body.logs, is_complete: true }])

      // The history follows a rename.
      assert.equal((await send(app, 'PUT', '/api/conda/environment/proj', { new_name: 'renamed' })).status, 200)
      const renamed = await app.json('/api/conda/environment/renamed')
      assert.deepEqual([renamed.body.status, renamed.body.last_build.id], ['failed', detail.body.last_build.id])
      assert.equal((await app.json(`/api/conda/environment/renamed/build-log?build_id=${created.id}`)).body.logs, log.body.logs)
      assert.deepEqual(await app.json(`/api/conda/environment/base/build-log`), {
        status: 404,
        body: { success: false, message: 'Build not found', error: "Environment 'base' has no recorded build" },
      })
      assert.deepEqual(await app.json(`/api/conda/environment/ghost/build-log`), { status: 404, body: { success: false, message: 'Environment not found' } })
    })

    it('a create in progress is listed as building, refuses a second build (409) and changes, and its log streams until it ends', async (t) => {
      const { app, gate } = await appWithPackages(t, dialect)
      const creating = send(app, 'POST', '/api/conda/environment', { name: 'slow', requirements: 'tyb-alpha\ntyb-slow\n' })
      await buildWaiting(gate)
      const listed = (await app.json('/api/conda/environments')).body.find((e: any) => e.name === 'slow')
      assert.equal(listed.status, 'building')
      assert.deepEqual(listed.packages, [])
      assert.equal(listed.last_build.ended_at, null)
      assert.equal(listed.last_build.ok, null)
      assert.equal((await app.json('/api/conda/environment/slow')).body.status, 'building') // Nothing of it is in envs/ yet: the venv is built aside.
      assert.deepEqual(
        readdirSync(path.join(app.dataDir, 'envs')).filter((n) => !n.startsWith('.')),
        ['base'],
      )
      const second = await send(app, 'POST', '/api/conda/environment', { name: 'slow' })
      assert.equal(second.status, 409, JSON.stringify(second.body))
      assert.deepEqual(second.body, {
        success: false,
        message: 'Environment is being built',
        error: "A build of environment 'slow' is in progress; try again when it has finished (GET /api/conda/environment/slow/build-log follows it)",
      })
      assert.equal((await send(app, 'POST', '/api/conda/environment/slow/packages', { packages: ['tyb-alpha'] })).status, 409)

      const res = await app.fetch('/api/conda/environment/slow/build-log?stream=true')
      const frames = readSse(res)
      const first = JSON.parse((await frames.next()).value!.data)
      assert.equal(first.is_complete, false)
      assert.match(first.logs, /-m venv /)
      await gate.open()
      let text = first.logs as string
      for (;;) {
        const next = await frames.next()
        assert.equal(next.done, false, 'the stream ends with a complete event')
        const event = JSON.parse(next.value!.data)
        text += event.logs
        if (event.is_complete) break
      }
      assert.match(text, /Successfully installed .*tyb-slow-1\.0/)
      assert.match(text, /Build succeeded\.\n$/)
      assert.equal((await creating).status, 201)
      const done = await app.json('/api/conda/environment/slow')
      assert.equal(done.body.status, 'ready')
      assert.equal(done.body.location, path.join(app.dataDir, 'envs', 'slow'))
    })

    it('a build-log stream ends when the login that opened it logs out; other readers follow to the end', async (t) => {
      const { app, gate } = await appWithPackages(t, dialect)
      const viewer = await app.addUser('watcher', 'viewer')
      const creating = send(app, 'POST', '/api/conda/environment', { name: 'slow', requirements: 'tyb-slow\n' })
      await buildWaiting(gate)
      // Every stream is cut when the test ends, whatever happened.
      const cut = new AbortController()
      t.after(() => cut.abort())
      const url = '/api/conda/environment/slow/build-log?stream=true'
      const open = async (res: Promise<Response>) => {
        const frames = readSse(await res)
        assert.equal(JSON.parse((await frames.next()).value!.data).is_complete, false)
        return frames
      }
      const byCookie = await open(app.fetchAs({ cookie: viewer.cookie }, url, { signal: cut.signal }))
      const byJwt = await open(app.fetchAs({ bearer: viewer.bearer }, url, { signal: cut.signal }))
      const byAdmin = await open(app.fetch(url, { signal: cut.signal }))

      assert.equal((await app.jsonAs({ cookie: viewer.cookie }, '/api/auth/logout', { method: 'POST' })).status, 200)
      // Both ended by the server while the build still waits: nothing more was written.
      for (const frames of [byCookie, byJwt]) {
        for (;;) {
          const next = await frames.next()
          if (next.done) break
          assert.equal(JSON.parse(next.value.data).is_complete, false, 'the logged-out stream never sees the end of the build')
        }
      }
      assert.equal((await app.json('/api/conda/environment/slow')).body.status, 'building')
      await gate.open()
      let complete = false
      for await (const frame of byAdmin) if ((complete = JSON.parse(frame.data).is_complete)) break
      assert.equal(complete, true, 'another login follows the build to its end')
      assert.equal((await creating).status, 201)
    })

    it('a run of a task waits queued while its environment builds, and runs when the build ends', { timeout: 180_000 }, async (t) => {
      const { app, gate } = await appWithPackages(t, dialect)
      assert.equal((await send(app, 'POST', '/api/conda/environment', { name: 'work', requirements: 'tyb-alpha\n' })).status, 201)
      const task = await app.createTask(
        { conda_env: 'work', reuse_env: 'true', task_name: 'in-work', delay_seconds: '3600' },
        { name: 'job.py', content: 'import tyb_alpha, tyb_slow\nprint("both here")\n' },
      )
      assert.equal(task.status, 201, JSON.stringify(task.body))
      const id = task.body.task.task_id
      const installing = send(app, 'POST', '/api/conda/environment/work/packages', { packages: ['tyb-slow'] })
      await buildWaiting(gate)
      const trigger = await app.json(`/api/tasks/${id}/trigger`, { method: 'POST' })
      assert.equal(trigger.status, 200, JSON.stringify(trigger.body))
      // A task in another environment (it runs at once) is claimed and runs to its end meanwhile: the worker has
      // passed over the waiting run, not merely not got to it yet.
      const other = await app.createTask({ conda_env: 'base', task_name: 'in-base', command: 'echo other' })
      assert.equal(other.status, 201, JSON.stringify(other.body))
      const otherId = other.body.task.task_id
      await app.runFinished((await app.runningRun(otherId)).runId)
      const waiting = (await app.store.runs.listForTask(id, 1))[0]!
      assert.equal(waiting.status, 'queued')

      await gate.open()
      const installed = await installing
      assert.equal(installed.status, 200, JSON.stringify(installed.body))
      const { runId } = await app.runningRun(id)
      assert.equal(runId, waiting.id)
      await app.runFinished(runId)
      const log = await app.json(`/api/tasks/${id}/executions/${runId}/logs`)
      assert.equal(log.body.logs, 'both here\n', 'the run saw the package the build installed')
      assert.equal((await app.store.runs.findById(runId))!.status, 'completed')
    })

    it('two concurrent creates of one name: one environment, the other refused', async (t) => {
      const { app } = await appWithPackages(t, dialect)
      const both = await Promise.all([
        send(app, 'POST', '/api/conda/environment', { name: 'twin', requirements: 'tyb-alpha\n' }),
        send(app, 'POST', '/api/conda/environment', { name: 'twin', requirements: 'tyb-alpha\n' }),
      ])
      const statuses = both.map((r) => r.status).sort()
      assert.equal(statuses[0], 201, JSON.stringify(both))
      assert.ok(statuses[1] === 400 || statuses[1] === 409, JSON.stringify(both))
      const loser = both.find((r) => r.status !== 201)!
      assert.match(loser.body.message, /^(Environment with this name already exists|Environment is being built)$/)
      assert.deepEqual((await app.json('/api/conda/environments')).body.filter((e: any) => e.name === 'twin').length, 1)
    })
  })
}
