import { fireEvent, screen, waitFor } from '@testing-library/react'
import { beforeAll, describe, expect, it } from 'vitest'
import { i18n } from '../../i18n'
import { buttonState, renderPage } from '../../test/page-harness'
import { RunPanel } from './RunPanel'

const run = (over: Record<string, unknown> = {}) => ({
  success: true,
  execution: {
    execution_id: '9',
    task_id: 3,
    task_name: 't',
    status: 'running',
    trigger: 'retry',
    priority: 'normal',
    priority_value: 5,
    attempt: 2,
    first_execution_id: '4',
    queued_at: '2026-12-02 17:00:00',
    start_time: '2026-12-02 17:00:01',
    end_time: null,
    duration: null,
    exit_code: null,
    signal: null,
    error: null,
    output_truncated: false,
    peak_memory: null,
    avg_memory: null,
    pause_reason: 'disk full <img src=x>',
    paused_by: 'alice',
    resume_reason: null,
    resumed_by: null,
    stop_reason: null,
    stopped_by: null,
    queue_position: null,
    artifact_count: 0,
    artifacts_url: '/api/executions/9/artifacts',
    logs_url: '/api/tasks/3/executions/9/logs',
    ...over,
  },
})

beforeAll(() => i18n.changeLanguage('en'))

describe('RunPanel', () => {
  it('shows the attempt, the pause reason with who gave it (as text), and no input for a non-interactive task', async () => {
    const { container } = renderPage(<RunPanel executionId="9" interactive={false} role="admin" />, {
      role: 'admin',
      routes: { 'GET /api/executions/9': { body: run() } },
    })
    expect((await screen.findByTestId('run-attempt')).textContent).toBe('2 (retry of run 4)')
    expect(screen.getByTestId('run-pause-reason').textContent).toBe('disk full <img src=x> (alice)')
    expect(container.querySelector('img')).toBeNull()
    expect(buttonState(container, 'run-send')).toEqual({ disabled: true, why: 'Unavailable: the task is not interactive (its runs read no input).' })
    expect(buttonState(container, 'run-eof').disabled).toBe(true)
    expect(screen.getByText('This run left no result files.')).toBeTruthy()
  })

  it('sends a line to an interactive run, then end-of-file; after that the input says it is closed', async () => {
    const { container, sent } = renderPage(<RunPanel executionId="9" interactive role="operator" />, {
      role: 'operator',
      routes: {
        'GET /api/executions/9': { body: run() },
        'POST /api/executions/9/input': (s) => ({
          body: { success: true, message: 'Input sent', execution_id: '9', bytes: 3, closed: (s.body as { close?: boolean }).close === true },
        }),
      },
    })
    await screen.findByTestId('run-attempt')
    expect(buttonState(container, 'run-send')).toEqual({ disabled: true, why: 'Unavailable: type some text first.' })
    fireEvent.change(screen.getByTestId('run-input-text'), { target: { value: 'hi' } })
    fireEvent.click(container.querySelector('[data-testid="run-send"] button')!)
    await waitFor(() => expect(sent.filter((s) => s.method === 'POST').map((s) => s.body)).toEqual([{ text: 'hi\n' }]))
    await waitFor(() => expect((screen.getByTestId('run-input-text') as HTMLTextAreaElement).value).toBe(''))
    fireEvent.click(container.querySelector('[data-testid="run-eof"] button')!)
    await waitFor(() => expect(buttonState(container, 'run-eof').why).toBe('Unavailable: the input has been closed.'))
    expect(sent.filter((s) => s.method === 'POST').map((s) => s.body)).toEqual([{ text: 'hi\n' }, { text: '', close: true }])
  })

  it('refuses input to an ended run, saying its status, and lists its result files with download links', async () => {
    const { container } = renderPage(<RunPanel executionId="9" interactive role="admin" />, {
      role: 'admin',
      routes: {
        'GET /api/executions/9': { body: run({ status: 'completed', artifact_count: 1 }) },
        'GET /api/executions/9/artifacts': {
          body: {
            success: true,
            execution_id: '9',
            total: 1,
            artifacts: [
              { name: 'out/report.csv', size: 2048, modified_at: '2026-12-02 17:01:00', download_url: '/api/executions/9/artifacts/out%2Freport.csv' },
            ],
          },
        },
      },
    })
    const link = await screen.findByTestId('artifact-download')
    expect(link.getAttribute('href')).toBe('/api/executions/9/artifacts/out%2Freport.csv')
    expect(link.getAttribute('download')).toBe('report.csv')
    expect(screen.getByText('2.0 KB')).toBeTruthy()
    expect(buttonState(container, 'run-send').why).toBe('Unavailable: the run is Completed.')
  })

  it('shows where a queued retry stands: queue position, attempt chain, the run it retries and its not-before time', async () => {
    renderPage(<RunPanel executionId="9" interactive={false} role="admin" />, {
      role: 'admin',
      routes: {
        'GET /api/executions/9': {
          body: run({
            status: 'queued',
            start_time: null,
            attempt: 3,
            first_execution_id: '4',
            retry_of_execution_id: '8',
            not_before: '2026-12-02 17:05:00',
            queue_position: 2,
            pause_reason: null,
            paused_by: null,
          }),
        },
      },
    })
    expect((await screen.findByTestId('run-attempt')).textContent).toBe('3 (retry of run 4)')
    expect(screen.getByTestId('run-retry-of').textContent).toBe('run 8')
    expect(screen.getByTestId('run-not-before').textContent).toBe('2026-12-02 17:05:00')
    expect(screen.getByTestId('run-queue-position').textContent).toBe('2')
    expect(screen.queryByTestId('run-requested-action')).toBeNull()
  })

  it('shows an action asked of the server supervising the run as requested, not yet applied', async () => {
    renderPage(<RunPanel executionId="9" interactive={false} role="admin" />, {
      role: 'admin',
      routes: { 'GET /api/executions/9': { body: run({ requested_action: 'stop' }) } },
    })
    expect((await screen.findByTestId('run-requested-action')).textContent).toBe('Stop: asked of the server supervising the run, not yet applied')
    expect(screen.queryByTestId('run-queue-position')).toBeNull()
  })

  it("retries a failed run as the next attempt of its chain, and shows the server's refusal", async () => {
    let refuse = false
    const { container, sent } = renderPage(<RunPanel executionId="9" interactive={false} role="operator" />, {
      role: 'operator',
      routes: {
        'GET /api/executions/9': { body: run({ status: 'failed', end_time: '2026-12-02 17:00:09', exit_code: 1 }) },
        'POST /api/executions/9/retry': () =>
          refuse
            ? { status: 400, body: { success: false, message: 'Run cannot be retried', error: 'run 9 is already retried by run 10' } }
            : { body: { success: true, message: 'Retry queued', execution_id: '9', new_execution_id: '10', attempt: 3 } },
      },
    })
    await screen.findByTestId('run-attempt')
    expect(buttonState(container, 'run-retry')).toEqual({ disabled: false, why: '' })
    fireEvent.click(container.querySelector('[data-testid="run-retry"] button')!)
    expect(await screen.findByText('Retry queued (run 10, attempt 3)')).toBeTruthy()
    refuse = true
    await waitFor(() => expect(container.querySelector('[data-testid="run-retry"] button .ant-btn-loading-icon')).toBeNull())
    fireEvent.click(container.querySelector('[data-testid="run-retry"] button')!)
    expect(await screen.findByText('Run cannot be retried: run 9 is already retried by run 10')).toBeTruthy()
    expect(sent.filter((s) => s.method === 'POST').map((s) => s.path)).toEqual(['/api/executions/9/retry', '/api/executions/9/retry'])
  })

  it('disables retry of a run that did not fail, saying why', async () => {
    const { container } = renderPage(<RunPanel executionId="9" interactive={false} role="admin" />, {
      role: 'admin',
      routes: { 'GET /api/executions/9': { body: run({ status: 'completed' }) } },
    })
    await screen.findByTestId('run-attempt')
    expect(buttonState(container, 'run-retry')).toEqual({
      disabled: true,
      why: 'Unavailable: the run is Completed; only a failed, timed-out or abnormal run can be retried.',
    })
  })
})
