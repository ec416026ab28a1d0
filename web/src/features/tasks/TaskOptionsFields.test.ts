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
      concurrency: 'forbid',
      timeout_seconds: null,
      time_zone: null,
      misfire: 'run_once',
      task_type: null,
      labels: null,
      interactive: false,
      max_retries: null,
      retry_backoff_seconds: null,
      retry_max_backoff_seconds: null,
      node_version: null,
    })
    const initial = taskOptionInitialValues({ timeout_seconds: 5, task_type: 'scan', labels: ['a'], interactive: true, misfire: 'skip' } as never)
    expect(taskOptionBody(initial)).toMatchObject({ timeout_seconds: 5, time_zone: null, misfire: 'skip', task_type: 'scan', labels: ['a'], interactive: true })
  })

  it('send the retry policy and the Node.js version on a create, blank ones left to the server', () => {
    const form = new FormData()
    setTaskOptionFields(
      form,
      { ...taskOptionInitialValues(), max_retries: 2, retry_backoff_seconds: 5, retry_max_backoff_seconds: null, node_version: ' 20 ' },
      false,
    )
    expect([...form.entries()]).toEqual([
      ['max_retries', '2'],
      ['retry_backoff_seconds', '5'],
      ['node_version', '20'],
    ])
    const blank = new FormData()
    setTaskOptionFields(blank, { ...taskOptionInitialValues(), node_version: '  ' }, false)
    expect([...blank.entries()]).toEqual([])
  })

  it('start the edit from what the task sets and put null back for a blank one', () => {
    const initial = taskOptionInitialValues({ max_retries: 3, retry_backoff_seconds: 7, retry_max_backoff_seconds: 60, node_version: '22' } as never)
    expect(taskOptionBody(initial)).toMatchObject({ max_retries: 3, retry_backoff_seconds: 7, retry_max_backoff_seconds: 60, node_version: '22' })
    expect(taskOptionBody({ ...initial, max_retries: null, node_version: '' })).toMatchObject({ max_retries: null, node_version: null })
  })

  it('send the concurrency policy: left out of a create when it is forbid (the default), always in a PUT', () => {
    const create = new FormData()
    setTaskOptionFields(create, { ...taskOptionInitialValues(), concurrency: 'replace' }, false)
    expect([...create.entries()]).toEqual([['concurrency', 'replace']])
    const byDefault = new FormData()
    setTaskOptionFields(byDefault, taskOptionInitialValues(), false)
    expect([...byDefault.entries()]).toEqual([])
    // The server shows it only when it is not forbid: the edit starts from forbid where it is absent.
    expect(taskOptionInitialValues({ concurrency: 'queue' } as never).concurrency).toBe('queue')
    expect(taskOptionBody({ ...taskOptionInitialValues(), concurrency: 'allow' })).toMatchObject({ concurrency: 'allow' })
  })
})
