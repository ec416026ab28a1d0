import { screen, within } from '@testing-library/react'
import { beforeAll, describe, expect, it } from 'vitest'
import { i18n } from '../../i18n'
import { renderPage } from '../../test/page-harness'
import { DashboardPage } from './DashboardPage'

const days = (success: number[], failed: number[]) => ({
  dates: ['2026-11-28', '2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04'],
  success_counts: success,
  failed_counts: failed,
})
const zeros = [0, 0, 0, 0, 0, 0, 0]

function stats(overrides: Record<string, unknown> = {}) {
  return {
    total: 17,
    scheduled: 3,
    running: 2,
    paused: 1,
    stopped_count: 4,
    completed: 5,
    failed: 2,
    success_rate: 71.43,
    avg_duration: 12.5,
    system_resources: null,
    task_success_rate: { success: 5, failed: 2, cancelled: 0, abnormal: 0 },
    last_7_days: days(zeros, zeros),
    upcoming_tasks: [
      {
        task_id: 4,
        task_name: '<img src=x onerror=alert(1)>',
        conda_env: 'base',
        command: 'python main.py',
        scheduled_time: '2026-12-05 09:30:00',
        cron_expression: '30 9 * * *',
      },
      { task_id: 9, task_name: 'backup', conda_env: 'base', command: 'python main.py', scheduled_time: '2026-12-05 10:00:00', cron_expression: null },
    ],
    recent_tasks: [
      { task_id: 2, name: 'nightly-report', status: 'completed', start_time: '2026-12-04 08:00:00', end_time: '2026-12-04 08:00:12', duration: 12 },
    ],
    ...overrides,
  }
}

beforeAll(() => i18n.changeLanguage('en'))

describe('DashboardPage', () => {
  it('shows the counts by status, the success rate, the next runs and the latest runs, names as text', async () => {
    const { container } = renderPage(<DashboardPage />, { role: 'viewer', routes: { 'GET /api/tasks/stats': { body: stats() } } })
    await screen.findByText('backup')
    const figure = (title: string) => {
      const card = [...container.querySelectorAll('.ant-statistic')].find((el) => el.querySelector('.ant-statistic-title')?.textContent === title)
      return card?.querySelector('.ant-statistic-content')?.textContent
    }
    expect(figure('Tasks')).toBe('17')
    expect(figure('Scheduled')).toBe('3')
    expect(figure('Running')).toBe('2')
    expect(figure('Paused')).toBe('1')
    expect(figure('Stopped')).toBe('4')
    expect(figure('Completed')).toBe('5')
    expect(figure('Failed')).toBe('2')
    expect(figure('Success rate')).toBe('71.4%')
    const upcoming = screen.getByText('Next 10 runs').closest('.ant-card') as HTMLElement
    expect(within(upcoming).getByText('<img src=x onerror=alert(1)>').closest('a')?.getAttribute('href')).toBe('/tasks/4')
    expect(within(upcoming).getByText('30 9 * * *')).toBeTruthy()
    expect(within(upcoming).getByText('2026-12-05 10:00:00')).toBeTruthy()
    expect(container.querySelector('img')).toBeNull()
    const recent = screen.getByText('Latest 5 runs').closest('.ant-card') as HTMLElement
    expect(within(recent).getByText('nightly-report').closest('a')?.getAttribute('href')).toBe('/tasks/2')
    expect(within(recent).getByText(/Average run/).textContent).toContain('12.5')
  })

  it('shows a placeholder where data is missing: no system figures, no runs in 7 days, nothing upcoming or recent', async () => {
    renderPage(<DashboardPage />, {
      role: 'viewer',
      routes: {
        'GET /api/tasks/stats': {
          body: stats({
            total: 0,
            scheduled: 0,
            running: 0,
            paused: 0,
            stopped_count: 0,
            completed: 0,
            failed: 0,
            success_rate: 0,
            avg_duration: null,
            upcoming_tasks: [],
            recent_tasks: [],
          }),
        },
      },
    })
    await screen.findByText('System figures are not available yet.')
    const placeholders = screen.getAllByTestId('chart-placeholder')
    expect(placeholders).toHaveLength(2)
    expect(within(screen.getByText('Last 7 days').closest('.ant-card') as HTMLElement).getByText('No data yet')).toBeTruthy()
    expect(within(screen.getByText('Next 10 runs').closest('.ant-card') as HTMLElement).getByText('No data yet')).toBeTruthy()
    expect(within(screen.getByText('Latest 5 runs').closest('.ant-card') as HTMLElement).getByText('No data yet')).toBeTruthy()
    expect(screen.queryByText(/Average run/)).toBeNull()
  })

  it('draws the 7-day chart (no placeholder) once a day has a run', async () => {
    renderPage(<DashboardPage />, {
      role: 'viewer',
      routes: { 'GET /api/tasks/stats': { body: stats({ last_7_days: days([0, 0, 0, 0, 0, 3, 1], [0, 0, 0, 0, 0, 0, 2]) }) } },
    })
    await screen.findByText('backup')
    // Only the memory chart (no system figures) is a placeholder now.
    expect(screen.getAllByTestId('chart-placeholder')).toHaveLength(1)
    expect(within(screen.getByText('Last 7 days').closest('.ant-card') as HTMLElement).queryByTestId('chart-placeholder')).toBeNull()
  })
})
