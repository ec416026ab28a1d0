import { fireEvent, screen, waitFor } from '@testing-library/react'
import { beforeAll, describe, expect, it } from 'vitest'
import type { TaskListItem } from '../../api/models'
import { i18n } from '../../i18n'
import { renderPage } from '../../test/page-harness'
import { BulkActions } from './BulkActions'

const item = (task_id: number, task_name: string, status: TaskListItem['status']): TaskListItem => ({
  task_id,
  task_name,
  status,
  conda_env: 'base',
  created_at: '2026-12-01 10:00:00',
  cron_expression: null,
  next_run_time_formatted: null,
  last_run_time_formatted: null,
  last_run_duration_formatted: null,
  priority: 'normal',
})
const detail = (task_id: number, last_execution_id: string | null) => ({ body: { success: true, task: { task_id, last_execution_id } } })
const results = async () => (await screen.findAllByTestId('bulk-result')).map((li) => li.textContent)

beforeAll(() => i18n.changeLanguage('en'))

describe('BulkActions', () => {
  it("retries the latest run of each selected task in one request and lists each task's answer, a refusal in the server's words", async () => {
    const { container, sent } = renderPage(
      <BulkActions
        selected={[item(1, 'a', 'failed'), item(2, '<img src=x onerror=alert(1)>', 'failed'), item(3, 'c', 'failed')]}
        role="operator"
        onDone={() => undefined}
      />,
      {
        role: 'operator',
        routes: {
          'GET /api/tasks/1': detail(1, '7'),
          'GET /api/tasks/2': detail(2, null),
          'GET /api/tasks/3': detail(3, '8'),
          'POST /api/executions/retry': {
            body: {
              success: true,
              results: [
                { execution_id: '7', success: true, message: 'Retry queued', new_execution_id: '10', attempt: 2 },
                { execution_id: '8', success: false, message: 'Run cannot be retried', error: 'run 8 is completed' },
              ],
            },
          },
        },
      },
    )
    fireEvent.click(container.querySelector('[data-testid="bulk-retry"] button')!)
    await waitFor(async () => expect(await results()).toHaveLength(3))
    expect(await results()).toEqual([
      '<img src=x onerror=alert(1)>Unavailable: the task has no run to retry.',
      'aRetry queued (run 10, attempt 2)',
      'cRun cannot be retried: run 8 is completed',
    ])
    expect(document.querySelector('img')).toBeNull()
    expect(sent.filter((s) => s.method === 'POST').map((s) => [s.path, s.body])).toEqual([['/api/executions/retry', { execution_ids: ['7', '8'] }]])
  })

  it('pauses each selected task, a refusal does not stop the rest, and a pause another server applies is listed as requested', async () => {
    const { container, sent } = renderPage(
      <BulkActions selected={[item(1, 'a', 'running'), item(2, 'b', 'stopped'), item(3, 'c', 'running')]} role="admin" onDone={() => undefined} />,
      {
        role: 'admin',
        routes: {
          'POST /api/tasks/1/pause': {
            body: { success: true, message: 'Task paused successfully', task: { task_id: 1, task_name: 'a', status: 'paused', previous_status: 'running' } },
          },
          'POST /api/tasks/2/pause': {
            status: 400,
            body: { success: false, message: 'Task cannot be paused', error: "Cannot pause a task with status: 'stopped'", current_status: 'stopped' },
          },
          'POST /api/tasks/3/pause': {
            body: {
              success: true,
              message: 'Task paused successfully',
              task: { task_id: 3, task_name: 'c', status: 'paused', previous_status: 'running' },
              requested: true,
            },
          },
        },
      },
    )
    fireEvent.click(container.querySelector('[data-testid="bulk-pause"] button')!)
    await waitFor(async () => expect(await results()).toHaveLength(3))
    expect(await results()).toEqual([
      'aTask paused successfully',
      "bTask cannot be paused: Cannot pause a task with status: 'stopped'",
      'cPause requested, not yet done. Another server supervises the run: it applies this within about a second.',
    ])
    expect(screen.getAllByTestId('bulk-requested')).toHaveLength(1)
    expect(sent.map((s) => s.path)).toEqual(['/api/tasks/1/pause', '/api/tasks/2/pause', '/api/tasks/3/pause'])
  })
})
