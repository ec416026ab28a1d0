/**
 * Schedules (issue 8, spec 003's shape) against a running server on both dialects: create with a
 * time zone and misfire policy, GET /api/schedules, PUT /api/schedules/<task_id> (roles, audit,
 * refusals that change nothing), and the history of scheduled times.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatDateTime } from '../../src/lib/format-time.ts'
import { nextCronTime } from '../../src/lib/cron.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const put = (body: unknown): RequestInit => ({ method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

async function cronTask(app: TestApp, name: string, fields: Record<string, string> = {}): Promise<number> {
  const { status, body } = await app.createTask({ task_name: name, conda_env: 'base', cron_expression: '0 9 * * *', ...fields })
  assert.equal(status, 201, JSON.stringify(body))
  return body.task.task_id
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: schedules API`, { skip: dialect.skip }, () => {
    it('a cron task created with a time zone and misfire policy is listed in spec 003 shape, its next time read in its zone', async (t) => {
      const app = await createTestApp(t, { dialect })
      const before = Date.now()
      const created = await app.createTask({
        task_name: 'ny-report',
        conda_env: 'base',
        cron_expression: '0 9 * * *',
        time_zone: 'america/new_york',
        misfire: 'skip',
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const id: number = created.body.task.task_id
      assert.deepEqual([created.body.task.time_zone, created.body.task.misfire], ['America/New_York', 'skip'], 'stored in its canonical spelling')
      await cronTask(app, 'plain')
      const { status, body } = await app.json('/api/schedules')
      assert.equal(status, 200)
      const task = (await app.store.tasks.findById(id))!
      const expectedNext = nextCronTime('0 9 * * *', before, 'America/New_York')!
      assert.ok(Math.abs(task.nextRunAt! - expectedNext) < 1, 'next 09:00 in New York')
      assert.deepEqual(body.schedules[0], {
        id: String(id),
        task_id: id,
        task_name: 'ny-report',
        cron_expression: '0 9 * * *',
        is_enabled: true,
        description: null,
        time_zone: 'America/New_York',
        misfire: 'skip',
        last_execution_at: null,
        next_execution_at: formatDateTime(task.nextRunAt),
        execution_count: 0,
        created_at: formatDateTime(task.createdAt),
        updated_at: formatDateTime(task.updatedAt),
      })
      assert.deepEqual(
        body.schedules.map((s: any) => [s.task_name, s.time_zone, s.misfire]),
        [
          ['ny-report', 'America/New_York', 'skip'],
          ['plain', null, 'run_once'],
        ],
      )
    })

    it('a bad time zone, misfire or impossible cron is refused at create with a 400 naming it, and nothing is created', async (t) => {
      const app = await createTestApp(t, { dialect })
      const cases: [Record<string, string>, number, string, RegExp][] = [
        [{ time_zone: 'Mars/Olympus' }, 400, 'Invalid time zone', /'Mars\/Olympus' is not a known IANA time zone/],
        [{ time_zone: '+02:00' }, 400, 'Invalid time zone', /'\+02:00' is not an IANA time zone name/],
        [{ misfire: 'burst' }, 400, 'Invalid misfire policy', /misfire must be one of 'run_once', 'skip', got "burst"/],
        [{ cron_expression: '0 0 30 2 *' }, 400, 'The provided cron expression is invalid', /never fires/],
      ]
      for (const [fields, status, message, error] of cases) {
        const started = performance.now()
        const res = await app.createTask({ task_name: 'bad', conda_env: 'base', cron_expression: '0 9 * * *', ...fields })
        assert.ok(performance.now() - started < 5_000, 'answered in bounded time')
        assert.equal(res.status, status, JSON.stringify(res.body))
        assert.equal(res.body.message, message)
        assert.match(res.body.error, error)
      }
      assert.deepEqual(await app.store.tasks.list(), [])
    })

    it('PUT changes cron, enabled, description, zone and misfire; audited; a switched-off schedule has no next time and is not fired', async (t) => {
      const app = await createTestApp(t, { dialect })
      const id = await cronTask(app, 'nightly')
      const { status, body } = await app.json(
        `/api/schedules/${id}`,
        put({ cron_expression: '30 2 * * 1-5', is_enabled: false, description: 'weekday night job', time_zone: 'Europe/Berlin' }),
      )
      assert.equal(status, 200, JSON.stringify(body))
      assert.equal(body.message, 'Schedule updated')
      assert.deepEqual(
        [body.schedule.cron_expression, body.schedule.is_enabled, body.schedule.description, body.schedule.time_zone, body.schedule.next_execution_at],
        ['30 2 * * 1-5', false, 'weekday night job', 'Europe/Berlin', null],
      )
      assert.deepEqual(await app.store.tasks.listDue(Number.MAX_SAFE_INTEGER), [], 'a switched-off schedule is never due')
      assert.equal(await app.store.tasks.nextDueAt(), null, 'and arms no timer')
      const listed = await app.json('/api/tasks')
      assert.deepEqual(
        listed.body.map((item: any) => [item.task_id, item.next_run_time_formatted]),
        [[id, null]],
        'the task list shows no next time either',
      )
      const { body: audit } = await app.json('/api/audit')
      const entry = audit.entries.find((e: any) => e.action === 'schedule.update')
      assert.deepEqual(
        [entry?.target_type, entry?.target_id, entry?.details],
        ['task', String(id), { cron_expression: '30 2 * * 1-5', is_enabled: false, description: 'weekday night job', time_zone: 'Europe/Berlin' }],
      )

      const before = Date.now()
      const on = await app.json(`/api/schedules/${id}`, put({ is_enabled: true }))
      assert.equal(on.status, 200)
      const task = (await app.store.tasks.findById(id))!
      assert.equal(task.nextRunAt, nextCronTime('30 2 * * 1-5', task.updatedAt, 'Europe/Berlin'), 'switched on: next time read from now, in its zone')
      assert.ok(task.updatedAt >= before)
      assert.equal(on.body.schedule.next_execution_at, formatDateTime(task.nextRunAt))
      assert.equal((await app.json(`/api/schedules/${id}`)).body.schedule.is_enabled, true)
    })

    it('PUT refusals change nothing: bad fields 400 naming them, unknown task 404, task without cron 404, viewer and other operator 403', async (t) => {
      const app = await createTestApp(t, { dialect })
      const owner = await app.addUser('owner', 'operator')
      const other = await app.addUser('other', 'operator')
      const viewer = await app.addUser('viewer', 'viewer')
      const created = await app.jsonAs({ bearer: owner.bearer }, '/api/tasks', {
        method: 'POST',
        body: (() => {
          const form = new FormData()
          form.set('script_file', new Blob(['print(1)\n']), 'job.py')
          form.set('conda_env', 'base')
          form.set('cron_expression', '0 9 * * *')
          return form
        })(),
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const id = created.body.task.task_id
      const oneOff = await app.createTask({ task_name: 'later', conda_env: 'base', delay_seconds: '3600' })
      const snapshot = await app.store.tasks.findById(id)
      const cases: [string, unknown, { bearer: string }, number, string, RegExp | null][] = [
        ['bad zone', { time_zone: 'Nowhere/City' }, owner, 400, 'Invalid time zone', /Nowhere\/City/],
        ['bad misfire', { misfire: 'later' }, owner, 400, 'Invalid misfire policy', /got "later"/],
        ['impossible cron', { cron_expression: '0 0 30 2 *' }, owner, 400, 'The provided cron expression is invalid', /never fires/],
        ['seven fields', { cron_expression: '0 0 0 1 1 * 2030' }, owner, 400, 'The provided cron expression is invalid', /got 7/],
        ['is_enabled a string', { is_enabled: 'yes' }, owner, 400, 'Invalid request', /is_enabled/],
        ['empty body', {}, owner, 400, 'Invalid request', /Nothing to change/],
        ['unknown field', { enabled: false }, owner, 400, 'Unknown fields in request', null],
        ['viewer', { is_enabled: false }, viewer, 403, 'Unauthorized - Insufficient privileges', /update this task/],
        ['other operator', { is_enabled: false }, other, 403, 'Unauthorized - Insufficient privileges', /update this task/],
      ]
      for (const [what, body, who, status, message, error] of cases) {
        const res = await app.jsonAs(who, `/api/schedules/${id}`, put(body))
        assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`)
        assert.equal(res.body.message, message, what)
        if (error) assert.match(res.body.error, error, what)
      }
      assert.equal((await app.json('/api/schedules/999999', put({ is_enabled: false }))).status, 404)
      const noCron = await app.json(`/api/schedules/${oneOff.body.task.task_id}`, put({ is_enabled: false }))
      assert.deepEqual([noCron.status, noCron.body.message], [404, `Schedule for task ${oneOff.body.task.task_id} not found`])
      assert.deepEqual(await app.store.tasks.findById(id), snapshot, 'nothing changed')
      const { body: audit } = await app.json('/api/audit')
      assert.equal(audit.entries.filter((e: any) => e.action === 'schedule.update').length, 0)
      // The owner may; a viewer reads.
      assert.equal((await app.jsonAs({ bearer: owner.bearer }, `/api/schedules/${id}`, put({ misfire: 'skip' }))).status, 200)
      const seen = await app.jsonAs({ bearer: viewer.bearer }, '/api/schedules')
      assert.deepEqual([seen.status, seen.body.schedules.map((s: any) => [s.task_id, s.misfire])], [200, [[id, 'skip']]])
    })

    it('PUT /api/tasks takes time_zone and misfire too: a new zone re-reads the next time; a bad one is a 400 that changes nothing', async (t) => {
      const app = await createTestApp(t, { dialect })
      const id = await cronTask(app, 'tokyo')
      const putTask = (body: unknown) => app.json(`/api/tasks/${id}`, put(body))
      const before = await app.store.tasks.findById(id)
      const bad = await putTask({ time_zone: 'Asia/Atlantis', misfire: 'skip' })
      assert.deepEqual([bad.status, bad.body.message], [400, 'Invalid time zone'])
      assert.match(bad.body.error, /'Asia\/Atlantis' is not a known IANA time zone/)
      assert.deepEqual(await app.store.tasks.findById(id), before, 'nothing changed')
      const ok = await putTask({ time_zone: 'Asia/Tokyo', misfire: 'skip' })
      assert.equal(ok.status, 200, JSON.stringify(ok.body))
      const task = (await app.store.tasks.findById(id))!
      assert.deepEqual([task.timeZone, task.misfire], ['Asia/Tokyo', 'skip'])
      assert.equal(task.nextRunAt, nextCronTime('0 9 * * *', task.updatedAt, 'Asia/Tokyo'), '09:00 in Tokyo')
      assert.deepEqual([ok.body.task.time_zone, ok.body.task.misfire], ['Asia/Tokyo', 'skip'])
    })

    it('history lists the scheduled times the scheduler decided about: fired with its execution, skipped with the reason', async (t) => {
      const app = await createTestApp(t, { dialect })
      const id = await cronTask(app, 'hourly', { misfire: 'skip' })
      const base = Date.UTC(2024, 0, 15, 12)
      await app.store.scheduleSlots.record([
        { taskId: id, slotAt: base, outcome: 'skipped', reason: 'coalesced', runId: null, recordedAt: base + 7_200_000 },
        { taskId: id, slotAt: base + 3_600_000, outcome: 'skipped', reason: 'misfire_skip', runId: null, recordedAt: base + 7_200_000 },
      ])
      const { status, body } = await app.json(`/api/schedules/${id}/history?limit=10`)
      assert.equal(status, 200)
      assert.deepEqual(body, {
        success: true,
        task_id: id,
        slots: [
          {
            scheduled_at: formatDateTime(base + 3_600_000),
            outcome: 'skipped',
            reason: 'misfire_skip',
            execution_id: null,
            recorded_at: formatDateTime(base + 7_200_000),
          },
          { scheduled_at: formatDateTime(base), outcome: 'skipped', reason: 'coalesced', execution_id: null, recorded_at: formatDateTime(base + 7_200_000) },
        ],
      })
      assert.equal((await app.json(`/api/schedules/${id}/history?limit=0`)).status, 400)
      assert.equal((await app.json('/api/schedules/424242/history')).status, 404)
    })
  })
}
