import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { planDueRuns, type SchedulableTask } from '../../src/scheduler/plan-due-runs.ts'

const at = (iso: string): number => Date.parse(iso)
const none: ReadonlySet<number> = new Set()

function cronTask(id: number, cronExpression: string, nextRunAt: string, status: SchedulableTask['status'] = 'scheduled'): SchedulableTask {
  return { id, status, cronExpression, nextRunAt: at(nextRunAt) }
}

describe('planDueRuns', () => {
  it('fires a due cron task and gives it the first slot after now', () => {
    const now = at('2024-01-15T12:00:00Z')
    assert.deepEqual(planDueRuns([cronTask(1, '*/5 * * * *', '2024-01-15T12:00:00Z')], none, now, 'UTC'), [
      {
        taskId: 1,
        startRun: true,
        fire: { slotAt: now, reason: null },
        skipped: [],
        patch: { status: 'running', nextRunAt: at('2024-01-15T12:05:00Z') },
      },
    ])
  })

  it('a tick up to a minute late runs the time on time; the earlier time it passed is skipped as coalesced', () => {
    // 12:00 was the next time; the tick came at 12:05:40 (a busy database), when 12:05 was due too.
    const now = at('2024-01-15T12:05:40Z')
    assert.deepEqual(planDueRuns([cronTask(1, '*/5 * * * *', '2024-01-15T12:00:00Z')], none, now, 'UTC'), [
      {
        taskId: 1,
        startRun: true,
        fire: { slotAt: at('2024-01-15T12:05:00Z'), reason: null },
        skipped: [{ slotAt: at('2024-01-15T12:00:00Z'), reason: 'coalesced' }],
        patch: { status: 'running', nextRunAt: at('2024-01-15T12:10:00Z') },
      },
    ])
  })

  it('misfire run_once (the default): three hours down is one run, for the latest time, and every other time is recorded', () => {
    const now = at('2024-01-15T15:02:10Z')
    const [plan] = planDueRuns([cronTask(1, '*/5 * * * *', '2024-01-15T12:00:00Z')], none, now, 'UTC')
    assert.deepEqual(plan?.fire, { slotAt: at('2024-01-15T15:00:00Z'), reason: 'misfire_run_once' })
    assert.deepEqual(plan?.patch, { status: 'running', nextRunAt: at('2024-01-15T15:05:00Z') })
    assert.equal(plan?.skipped.length, 36, '12:00 to 14:55, every five minutes')
    assert.deepEqual(plan?.skipped[0], { slotAt: at('2024-01-15T12:00:00Z'), reason: 'coalesced' })
    assert.deepEqual(plan?.skipped.at(-1), { slotAt: at('2024-01-15T14:55:00Z'), reason: 'coalesced' })
  })

  it('misfire skip: after downtime no run at all; every missed time is recorded and the task waits for its next time', () => {
    const now = at('2024-01-15T15:02:10Z')
    const task: SchedulableTask = { ...cronTask(1, '0 * * * *', '2024-01-15T12:00:00Z'), misfire: 'skip' }
    assert.deepEqual(planDueRuns([task], none, now, 'UTC'), [
      {
        taskId: 1,
        startRun: false,
        fire: null,
        skipped: [
          { slotAt: at('2024-01-15T12:00:00Z'), reason: 'coalesced' },
          { slotAt: at('2024-01-15T13:00:00Z'), reason: 'coalesced' },
          { slotAt: at('2024-01-15T14:00:00Z'), reason: 'coalesced' },
          { slotAt: at('2024-01-15T15:00:00Z'), reason: 'misfire_skip' },
        ],
        patch: { nextRunAt: at('2024-01-15T16:00:00Z') },
      },
    ])
  })

  it('misfire skip still runs a time seen within the grace minute (a late tick is not downtime)', () => {
    const task: SchedulableTask = { ...cronTask(1, '0 * * * *', '2024-01-15T12:00:00Z'), misfire: 'skip' }
    const [plan] = planDueRuns([task], none, at('2024-01-15T12:00:59Z'), 'UTC')
    assert.deepEqual(plan?.fire, { slotAt: at('2024-01-15T12:00:00Z'), reason: null })
  })

  it('a day down with a per-second cron lists a thousand missed times, the last standing for the rest, in bounded time', () => {
    const started = performance.now()
    const now = at('2024-01-16T12:00:00.300Z')
    const [plan] = planDueRuns([cronTask(1, '* * * * * *', '2024-01-15T12:00:00Z')], none, now, 'UTC')
    assert.ok(performance.now() - started < 2_000, 'bounded: not 86,400 steps')
    assert.deepEqual(plan?.fire, { slotAt: at('2024-01-16T12:00:00Z'), reason: null })
    assert.equal(plan?.skipped.length, 1_000)
    assert.deepEqual(plan?.skipped.at(-1), { slotAt: at('2024-01-15T12:16:39Z'), reason: 'coalesced_many' })
    assert.deepEqual(plan?.patch.nextRunAt, at('2024-01-16T12:00:01Z'))
  })

  it('gives a task with a live run no second run: the time is recorded as run_active, its schedule moves on and its status is left to that run', () => {
    const now = at('2024-01-15T12:00:00Z')
    assert.deepEqual(planDueRuns([cronTask(7, '* * * * *', '2024-01-15T12:00:00Z')], new Set([7]), now, 'UTC'), [
      { taskId: 7, startRun: false, fire: null, skipped: [{ slotAt: now, reason: 'run_active' }], patch: { nextRunAt: at('2024-01-15T12:01:00Z') } },
    ])
  })

  it('skips every due time of a blocked task with the reason it is given (queue_full, run_active) and fires the others', () => {
    const now = at('2024-01-15T12:00:02Z')
    const tasks = [
      cronTask(7, '* * * * * *', '2024-01-15T12:00:01Z'),
      cronTask(8, '* * * * * *', '2024-01-15T12:00:02Z'),
      cronTask(9, '* * * * * *', '2024-01-15T12:00:02Z'),
    ]
    const plans = planDueRuns(
      tasks,
      new Map([
        [7, 'queue_full'],
        [8, 'run_active'],
      ] as const),
      now,
      'UTC',
    )
    const next = { nextRunAt: at('2024-01-15T12:00:03Z') }
    assert.deepEqual(plans, [
      {
        taskId: 7,
        startRun: false,
        fire: null,
        skipped: [
          { slotAt: at('2024-01-15T12:00:01Z'), reason: 'queue_full' },
          { slotAt: now, reason: 'queue_full' },
        ],
        patch: next,
      },
      { taskId: 8, startRun: false, fire: null, skipped: [{ slotAt: now, reason: 'run_active' }], patch: next },
      { taskId: 9, startRun: true, fire: { slotAt: now, reason: null }, skipped: [], patch: { ...next, status: 'running' } },
    ])
  })

  it('plans nothing for a task whose schedule is switched off', () => {
    const task: SchedulableTask = { ...cronTask(1, '* * * * *', '2024-01-15T12:00:00Z'), scheduleEnabled: false }
    assert.deepEqual(planDueRuns([task], none, at('2024-01-15T12:00:00Z'), 'UTC'), [])
  })

  it("reads the cron expression in the task's own time zone, not the server's", () => {
    // 09:00 in New York on 2024-01-15 is 14:00Z; the server's zone (UTC) would say 09:00Z.
    const task: SchedulableTask = { ...cronTask(1, '0 9 * * *', '2024-01-15T14:00:00Z'), timeZone: 'America/New_York' }
    const [plan] = planDueRuns([task], none, at('2024-01-15T14:00:00Z'), 'UTC')
    assert.deepEqual(plan?.patch.nextRunAt, at('2024-01-16T14:00:00Z'))
  })

  it('after the clock was set back, plans nothing for a task whose time is still ahead (no early run, no slot twice)', () => {
    // The 12:05 slot fired and the next time became 12:10; then the clock went back to 11:58.
    const now = at('2024-01-15T11:58:00Z')
    assert.deepEqual(planDueRuns([cronTask(1, '*/5 * * * *', '2024-01-15T12:10:00Z')], none, now, 'UTC'), [])
    assert.equal(planDueRuns([cronTask(1, '*/5 * * * *', '2024-01-15T12:10:00Z')], none, at('2024-01-15T12:10:00Z'), 'UTC').length, 1)
  })

  it('fires a one-off (delayed) task once: it has no next time', () => {
    const now = at('2024-01-15T12:00:30Z')
    const task: SchedulableTask = { id: 3, status: 'scheduled', cronExpression: null, nextRunAt: at('2024-01-15T12:00:00Z') }
    assert.deepEqual(planDueRuns([task], none, now, 'UTC'), [
      { taskId: 3, startRun: true, fire: { slotAt: at('2024-01-15T12:00:00Z'), reason: null }, skipped: [], patch: { status: 'running', nextRunAt: null } },
    ])
  })

  it('runs a one-off task however late it is seen: misfire is a cron policy', () => {
    const task: SchedulableTask = { id: 3, status: 'scheduled', cronExpression: null, nextRunAt: at('2024-01-15T12:00:00Z'), misfire: 'skip' }
    const [plan] = planDueRuns([task], none, at('2024-01-20T12:00:00Z'), 'UTC')
    assert.deepEqual(plan?.fire, { slotAt: at('2024-01-15T12:00:00Z'), reason: null })
  })

  it('plans nothing for a task that is not scheduled or running, or has no next time', () => {
    const now = at('2024-01-15T12:00:00Z')
    const due = '2024-01-15T11:00:00Z'
    const tasks: SchedulableTask[] = [
      cronTask(1, '* * * * *', due, 'paused'),
      cronTask(3, '* * * * *', due, 'stopped'),
      { id: 4, status: 'scheduled', cronExpression: '* * * * *', nextRunAt: null },
    ]
    assert.deepEqual(planDueRuns(tasks, none, now, 'UTC'), [])
  })

  it("decides a running task's due time when it comes (issue 8): skipped while its run holds the lock, else fired", () => {
    const now = at('2024-01-15T12:00:30Z')
    const running = cronTask(2, '* * * * *', '2024-01-15T12:00:00Z', 'running')
    const [skipped] = planDueRuns([running], new Set([2]), now, 'UTC')
    assert.equal(skipped!.startRun, false)
    assert.deepEqual(skipped!.skipped, [{ slotAt: at('2024-01-15T12:00:00Z'), reason: 'run_active' }])
    assert.equal(skipped!.patch.nextRunAt, at('2024-01-15T12:01:00Z'))
    const [fired] = planDueRuns([running], none, now, 'UTC')
    assert.equal(fired!.startRun, true)
    assert.deepEqual(fired!.fire, { slotAt: at('2024-01-15T12:00:00Z'), reason: null })
  })

  it('plans a batch in the order given, each task on its own', () => {
    const now = at('2024-01-15T12:00:00Z')
    const tasks = [
      cronTask(2, '0 * * * *', '2024-01-15T11:00:00Z'),
      cronTask(1, '* * * * *', '2024-01-15T12:30:00Z'),
      cronTask(5, '*/10 * * * *', '2024-01-15T12:00:00Z'),
    ]
    assert.deepEqual(
      planDueRuns(tasks, new Set([5]), now, 'UTC').map((p) => [p.taskId, p.startRun, p.patch]),
      [
        [2, true, { status: 'running', nextRunAt: at('2024-01-15T13:00:00Z') }],
        [5, false, { nextRunAt: at('2024-01-15T12:10:00Z') }],
      ],
    )
  })

  describe('daylight saving time, in the task time zone (croner)', () => {
    const tz = 'Europe/Berlin'
    it('spring forward: a daily 02:30 that does not exist that night runs once, at 03:00, then at 02:30 again', () => {
      // 2024-03-31: Berlin clocks go from 02:00 CET to 03:00 CEST. 2024-03-30 02:30 CET is 01:30Z.
      const [fired] = planDueRuns([cronTask(1, '30 2 * * *', '2024-03-30T01:30:00Z')], none, at('2024-03-30T01:30:00Z'), tz)
      assert.deepEqual(fired?.patch.nextRunAt, at('2024-03-31T01:00:00Z'), '03:00 CEST, the first minute after the gap')
      const [next] = planDueRuns([cronTask(1, '30 2 * * *', '2024-03-31T01:00:00Z')], none, at('2024-03-31T01:00:00Z'), tz)
      assert.deepEqual(next?.patch.nextRunAt, at('2024-04-01T00:30:00Z'), '02:30 CEST the next day')
    })

    it('fall back: a daily 02:30 that happens twice that night runs once', () => {
      // 2024-10-27: Berlin clocks go from 03:00 CEST back to 02:00 CET; 02:30 is 00:30Z and again 01:30Z.
      const [fired] = planDueRuns([cronTask(1, '30 2 * * *', '2024-10-27T00:30:00Z')], none, at('2024-10-27T00:30:00Z'), tz)
      assert.deepEqual(fired?.patch.nextRunAt, at('2024-10-28T01:30:00Z'), '02:30 CET the next day, not the repeated 02:30 at 01:30Z')
    })

    it('fall back: an hourly task runs every real hour through the repeated one', () => {
      const [first] = planDueRuns([cronTask(1, '0 * * * *', '2024-10-27T00:00:00Z')], none, at('2024-10-27T00:00:00Z'), tz)
      assert.deepEqual(first?.patch.nextRunAt, at('2024-10-27T01:00:00Z'))
      const [second] = planDueRuns([cronTask(1, '0 * * * *', '2024-10-27T01:00:00Z')], none, at('2024-10-27T01:00:00Z'), tz)
      assert.deepEqual(second?.patch.nextRunAt, at('2024-10-27T02:00:00Z'))
    })
  })
})
