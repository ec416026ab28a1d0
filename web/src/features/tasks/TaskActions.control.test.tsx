import { fireEvent, screen, waitFor } from '@testing-library/react'
import { beforeAll, describe, expect, it } from 'vitest'
import { i18n } from '../../i18n'
import { buttonState, renderPage } from '../../test/page-harness'
import { TaskActions } from './TaskActions'

const transition = (status: string, previous: string, extra: Record<string, unknown> = {}) => ({
  body: { success: true, message: `Task ${status} successfully`, task: { task_id: 1, task_name: 'x', status, previous_status: previous }, ...extra },
})

function renderTask(
  status: 'running' | 'failed' | 'completed',
  routes: Parameters<typeof renderPage>[1]['routes'],
  latestRunStatus: 'failed' | 'completed' | null = 'failed',
) {
  return renderPage(<TaskActions task={{ task_id: 1, task_name: 'x', status }} role="operator" latestRunStatus={latestRunStatus} />, {
    role: 'operator',
    routes,
  })
}

const press = (container: HTMLElement, action: string) => fireEvent.click(container.querySelector(`[data-testid="action-${action}"] button`)!)
/** Answers the open confirm dialog, after typing the reason where one is given. */
async function confirm(reason?: string) {
  if (reason !== undefined) fireEvent.change(await screen.findByTestId('action-reason'), { target: { value: reason } })
  fireEvent.click(await screen.findByRole('button', { name: 'Yes' }))
}

beforeAll(() => i18n.changeLanguage('en'))

describe('TaskActions: retry, pause and stop', () => {
  it("retries the task's latest run and shows the server's message with the new run and its attempt", async () => {
    const { container, sent } = renderTask('failed', {
      'POST /api/tasks/1/retry': { body: { success: true, message: 'Retry queued', execution_id: '7', new_execution_id: '12', attempt: 2 } },
    })
    expect(buttonState(container, 'action-retry')).toEqual({ disabled: false, why: '' })
    press(container, 'retry')
    expect(await screen.findByText('Retry queued (run 12, attempt 2)')).toBeTruthy()
    expect(sent.filter((s) => s.method === 'POST').map((s) => s.path)).toEqual(['/api/tasks/1/retry'])
  })

  it("shows the server's refusal of a retry, message and reason", async () => {
    const { container } = renderTask('failed', {
      'POST /api/tasks/1/retry': { status: 400, body: { success: false, message: 'Run cannot be retried', error: 'run 7 is already retried by run 8' } },
    })
    press(container, 'retry')
    expect(await screen.findByText('Run cannot be retried: run 7 is already retried by run 8')).toBeTruthy()
  })

  it('disables retry, saying why, while the latest run is not a failed one, or when there is none', () => {
    const done = renderTask('completed', {}, 'completed')
    expect(buttonState(done.container, 'action-retry')).toEqual({
      disabled: true,
      why: 'Unavailable: the run is Completed; only a failed, timed-out or abnormal run can be retried.',
    })
    done.unmount()
    const none = renderTask('failed', {}, null)
    expect(buttonState(none.container, 'action-retry')).toEqual({ disabled: true, why: 'Unavailable: the task has no run to retry.' })
  })

  it('pauses with the reason typed in the confirm dialog, and without one when it is left blank', async () => {
    const { container, sent } = renderTask('running', { 'POST /api/tasks/1/pause': transition('paused', 'running') })
    press(container, 'pause')
    await confirm('disk almost full')
    expect(await screen.findByText('Task paused successfully')).toBeTruthy()
    press(container, 'pause')
    await confirm()
    await waitFor(() => expect(sent.filter((s) => s.method === 'POST')).toHaveLength(2))
    expect(sent.filter((s) => s.method === 'POST').map((s) => [s.path, s.body])).toEqual([
      ['/api/tasks/1/pause', { reason: 'disk almost full' }],
      ['/api/tasks/1/pause', null],
    ])
  })

  it('stops with the reason, trimmed, in the request body', async () => {
    const { container, sent } = renderTask('running', { 'POST /api/tasks/1/stop': transition('stopped', 'running') })
    press(container, 'stop')
    await confirm('  wrong input file ')
    expect(await screen.findByText('Task stopped successfully')).toBeTruthy()
    expect(sent.filter((s) => s.method === 'POST').map((s) => [s.path, s.body])).toEqual([['/api/tasks/1/stop', { reason: 'wrong input file' }]])
  })

  it('says an action another server supervises was requested, not done', async () => {
    const { container } = renderTask('running', { 'POST /api/tasks/1/pause': transition('paused', 'running', { requested: true }) })
    press(container, 'pause')
    await confirm()
    expect(await screen.findByText('Pause requested, not yet done. Another server supervises the run: it applies this within about a second.')).toBeTruthy()
    expect(screen.queryByText(/successfully/)).toBeNull()
  })
})
