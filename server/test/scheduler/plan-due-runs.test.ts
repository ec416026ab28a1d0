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
      { taskId: 1, startRun: true, patch: { status: 'running', nextRunAt: at('2024-01-15T12:05:00Z') } },
    ])
  })

  it('fires missed slots once: three hours late is one run, and the next slot is after now', () => {
    const now = at('2024-01-15T15:02:10Z')
    assert.deepEqual(planDueRuns([cronTask(1, '*/5 * * * *', '2024-01-15T12:00:00Z')], none, now, 'UTC'), [
      { taskId: 1, startRun: true, patch: { status: 'running', nextRunAt: at('2024-01-15T15:05:00Z') } },
    ])
  })

  it('gives a task with a live run no second run; its schedule moves on and its status is left to that run', () => {
    const now = at('2024-01-15T12:00:00Z')
    assert.deepEqual(planDueRuns([cronTask(7, '* * * * *', '2024-01-15T12:00:00Z')], new Set([7]), now, 'UTC'), [
      { taskId: 7, startRun: false, patch: { nextRunAt: at('2024-01-15T12:01:00Z') } },
    ])
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
    assert.deepEqual(planDueRuns([task], none, now, 'UTC'), [{ taskId: 3, startRun: true, patch: { status: 'running', nextRunAt: null } }])
  })

  it('plans nothing for a task that is not scheduled, or has no next time', () => {
    const now = at('2024-01-15T12:00:00Z')
    const due = '2024-01-15T11:00:00Z'
    const tasks: SchedulableTask[] = [
      cronTask(1, '* * * * *', due, 'paused'),
      cronTask(2, '* * * * *', due, 'running'),
      cronTask(3, '* * * * *', due, 'stopped'),
      { id: 4, status: 'scheduled', cronExpression: '* * * * *', nextRunAt: null },
    ]
    assert.deepEqual(planDueRuns(tasks, none, now, 'UTC'), [])
  })

  it('plans a batch in the order given, each task on its own', () => {
    const now = at('2024-01-15T12:00:00Z')
    const tasks = [
      cronTask(2, '0 * * * *', '2024-01-15T11:00:00Z'),
      cronTask(1, '* * * * *', '2024-01-15T12:30:00Z'),
      cronTask(5, '*/10 * * * *', '2024-01-15T12:00:00Z'),
    ]
    assert.deepEqual(planDueRuns(tasks, new Set([5]), now, 'UTC'), [
      { taskId: 2, startRun: true, patch: { status: 'running', nextRunAt: at('2024-01-15T13:00:00Z') } },
      { taskId: 5, startRun: false, patch: { nextRunAt: at('2024-01-15T12:10:00Z') } },
    ])
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
