import { fireEvent, screen, waitFor } from '@testing-library/react'
import { beforeAll, describe, expect, it } from 'vitest'
import { i18n } from '../../i18n'
import { buttonState, renderPage } from '../../test/page-harness'
import { QueuePage } from './QueuePage'

const run = (position: number, id: number, name: string, priority: number, word: 'high' | 'normal' | 'low') => ({
  position,
  execution_id: id,
  task_id: id * 10,
  task_name: name,
  priority,
  priority_word: word,
  trigger: 'manual',
  queued_at: '2026-12-02 17:00:00',
})
const queue = (rows: ReturnType<typeof run>[]) => ({
  body: { success: true, queue: rows, total: rows.length, page: 1, page_size: 1000, running: 1, max_workers: 1 },
})

beforeAll(() => i18n.changeLanguage('en'))

describe('QueuePage', () => {
  it('lists the queued runs in start order, names as text, with their position and priority', async () => {
    const { container } = renderPage(<QueuePage />, {
      role: 'admin',
      routes: { 'GET /api/queue': queue([run(1, 7, '<b>first</b>', 2, 'high'), run(2, 3, 'second', 5, 'normal')]) },
    })
    await screen.findByText('<b>first</b>')
    const rows = [...container.querySelectorAll('tbody tr.ant-table-row')].map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent))
    expect(rows).toEqual([
      ['1', '7', '<b>first</b>'],
      ['2', '3', 'second'],
    ])
    expect(container.querySelector('tbody b')).toBeNull()
    expect(screen.getByTestId('queue-running').textContent).toContain('1 / 1')
    expect(buttonState(container, 'queue-cancel')).toEqual({ disabled: false, why: '' })
  })

  it('disables every control for a viewer, saying why; cancel all says why on an empty queue', async () => {
    const viewer = renderPage(<QueuePage />, { role: 'viewer', routes: { 'GET /api/queue': queue([run(1, 7, 'x', 5, 'normal')]) } })
    await screen.findByText('x')
    expect(buttonState(viewer.container, 'queue-cancel')).toEqual({ disabled: true, why: 'Unavailable: your role (Viewer) can only read.' })
    expect(buttonState(viewer.container, 'cancel-all').disabled).toBe(true)
    viewer.unmount()
    const admin = renderPage(<QueuePage />, { role: 'admin', routes: { 'GET /api/queue': queue([]) } })
    await screen.findByText('Nothing is queued.')
    expect(buttonState(admin.container, 'cancel-all')).toEqual({ disabled: true, why: 'Unavailable: nothing is queued.' })
    expect(buttonState(admin.container, 'cancel-by-type')).toEqual({ disabled: true, why: 'Unavailable: enter a task type first.' })
    // Also stopping running runs: there may be some, so the button applies.
    fireEvent.click(screen.getByText('Also stop running runs'))
    expect(buttonState(admin.container, 'cancel-all').disabled).toBe(false)
  })

  it("cancels by type and shows the server's {cancelled, failed, total}", async () => {
    const { container, sent } = renderPage(<QueuePage />, {
      role: 'operator',
      routes: {
        'GET /api/queue': queue([run(1, 7, 'scan', 5, 'normal')]),
        'POST /api/tasks/cancel-by-type': {
          body: { success: true, message: 'Cancelled 2 runs of type file_scan', result: { cancelled: 2, failed: 1, total: 3 } },
        },
      },
    })
    await screen.findByText('scan')
    fireEvent.change(screen.getByTestId('cancel-type-input'), { target: { value: 'file_scan' } })
    fireEvent.click(container.querySelector('[data-testid="cancel-by-type"] button')!)
    fireEvent.click(await screen.findByRole('button', { name: 'Yes' }))
    const result = await screen.findByTestId('cancel-result')
    expect(result.textContent).toContain('Cancelled 2 runs of type file_scan')
    expect(result.textContent).toContain('Cancelled 2, failed 1, of 3.')
    expect(sent.find((s) => s.path === '/api/tasks/cancel-by-type')?.body).toEqual({ task_type: 'file_scan', cancel_running: false })
  })

  it('cancels one queued run by its execution id', async () => {
    const { container, sent } = renderPage(<QueuePage />, {
      role: 'admin',
      routes: {
        'GET /api/queue': queue([run(1, 7, 'one', 5, 'normal')]),
        'POST /api/executions/7/cancel': {
          body: { success: true, message: 'Run 7 cancelled', execution_id: 7, task_id: 70, previous_status: 'queued', status: 'cancelled' },
        },
      },
    })
    await screen.findByText('one')
    fireEvent.click(container.querySelector('[data-testid="queue-cancel"] button')!)
    await screen.findByText('Run 7 cancelled')
    await waitFor(() => expect(sent.some((s) => s.method === 'POST' && s.path === '/api/executions/7/cancel')).toBe(true))
  })
})
