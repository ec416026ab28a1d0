import { fireEvent, screen, waitFor } from '@testing-library/react'
import { beforeAll, describe, expect, it } from 'vitest'
import { i18n } from '../../i18n'
import { buttonState, renderPage } from '../../test/page-harness'
import { SchedulesPage } from './SchedulesPage'

const schedule = {
  id: '5',
  task_id: 5,
  task_name: 'nightly <script>x</script>',
  cron_expression: '30 9 * * 1-5',
  is_enabled: true,
  description: 'weekday report',
  time_zone: 'Europe/Berlin',
  misfire: 'skip',
  last_execution_at: null,
  next_execution_at: '2026-12-03 09:30:00',
  execution_count: 3,
  created_at: '2026-12-01 00:00:00',
  updated_at: '2026-12-01 00:00:00',
}
const routes = {
  'GET /api/schedules': { body: { success: true, schedules: [schedule] } },
  'PUT /api/schedules/5': (s: { body: unknown }) => ({
    body: { success: true, message: 'Schedule updated', schedule: { ...schedule, ...(s.body as object) } },
  }),
  'GET /api/schedules/5/history': {
    body: {
      success: true,
      task_id: 5,
      slots: [
        { scheduled_at: '2026-12-02 09:30:00', outcome: 'skipped', reason: 'misfire_skip', execution_id: null, recorded_at: '2026-12-02 10:00:00' },
        { scheduled_at: '2026-12-01 09:30:00', outcome: 'fired', reason: null, execution_id: '12', recorded_at: '2026-12-01 09:30:00' },
      ],
    },
  },
}

beforeAll(() => i18n.changeLanguage('en'))

describe('SchedulesPage', () => {
  it('reads each cron aloud with its next times, zone, description and misfire rule', async () => {
    const { container } = renderPage(<SchedulesPage />, { role: 'operator', routes })
    expect((await screen.findByTestId('schedule-reading')).textContent).toBe('At 09:30, Monday through Friday')
    expect(screen.getByText(/^Next: /)).toBeTruthy()
    expect(screen.getByTestId('schedule-task').textContent).toBe('nightly <script>x</script>')
    expect(container.querySelector('tbody script')).toBeNull()
    for (const text of ['Europe/Berlin', 'weekday report', '2026-12-03 09:30:00']) expect(screen.getByText(text)).toBeTruthy()
    expect(buttonState(container, 'schedule-edit').disabled).toBe(false)
  })

  it('switches a schedule off with PUT is_enabled, and shows its history: fired, skipped with the reason', async () => {
    const { container, sent } = renderPage(<SchedulesPage />, { role: 'admin', routes })
    await screen.findByTestId('schedule-reading')
    fireEvent.click(screen.getByTestId('schedule-enabled'))
    await waitFor(() => expect(sent.filter((s) => s.method === 'PUT').map((s) => s.body)).toEqual([{ is_enabled: false }]))
    fireEvent.click(container.querySelector('.ant-table-row-expand-icon')!)
    const history = await screen.findByTestId('schedule-history')
    await waitFor(() => expect(history.textContent).toContain('Late: skipped'))
    expect(history.textContent).toContain('Fired')
    expect(history.textContent).toContain('On time')
  })

  it('disables the switch and edit for a viewer, saying why', async () => {
    const { container } = renderPage(<SchedulesPage />, { role: 'viewer', routes })
    await screen.findByTestId('schedule-reading')
    expect((screen.getByTestId('schedule-enabled') as HTMLButtonElement).disabled).toBe(true)
    expect(buttonState(container, 'schedule-edit').why).toBe('Unavailable: your role (Viewer) can only read.')
  })
})
