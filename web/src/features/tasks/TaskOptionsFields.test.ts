import { describe, expect, it } from 'vitest'
import { setTaskOptionFields, taskOptionBody, taskOptionInitialValues } from './TaskOptionsFields'

describe('the task option fields', () => {
  it('leave blank ones out of a create, and misfire unless the task has a cron', () => {
    const form = new FormData()
    setTaskOptionFields(
      form,
      { timeout_seconds: 30, time_zone: ' Europe/Berlin ', misfire: 'skip', task_type: '', labels: ['eu', 'nightly'], interactive: true },
      false,
    )
    expect([...form.entries()]).toEqual([
      ['timeout_seconds', '30'],
      ['time_zone', 'Europe/Berlin'],
      ['labels', 'eu,nightly'],
      ['interactive', 'true'],
    ])
    const cron = new FormData()
    setTaskOptionFields(cron, { ...taskOptionInitialValues(), misfire: 'skip' }, true)
    expect([...cron.entries()]).toEqual([['misfire', 'skip']])
  })

  it('clear with null in a PUT, and start from what the task sets', () => {
    expect(taskOptionBody(taskOptionInitialValues())).toEqual({
      timeout_seconds: null,
      time_zone: null,
      misfire: 'run_once',
      task_type: null,
      labels: null,
      interactive: false,
    })
    const initial = taskOptionInitialValues({ timeout_seconds: 5, task_type: 'scan', labels: ['a'], interactive: true, misfire: 'skip' } as never)
    expect(taskOptionBody(initial)).toEqual({ timeout_seconds: 5, time_zone: null, misfire: 'skip', task_type: 'scan', labels: ['a'], interactive: true })
  })
})
