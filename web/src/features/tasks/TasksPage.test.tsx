import { screen } from '@testing-library/react'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { i18n } from '../../i18n'
import { buttonState, renderPage } from '../../test/page-harness'
import { TasksPage } from './TasksPage'

const task = (id: number) => ({
  task_id: id,
  task_name: `task-${id}`,
  status: id === 1 ? 'running' : 'scheduled',
  conda_env: 'base',
  cron_expression: '0 0 1 1 *',
  next_run_time_formatted: '2027-01-01 00:00:00',
  last_run_time_formatted: null,
  last_run_duration_formatted: null,
  priority: 'normal',
})
const tasks = { body: Array.from({ length: 25 }, (_, i) => task(i + 1)) }
const shownIds = (root: ParentNode) => [...root.querySelectorAll('[data-testid="task-link"]')].map((a) => a.textContent)

beforeAll(() => i18n.changeLanguage('en'))
afterEach(() => localStorage.clear())

describe('TasksPage', () => {
  it('shows the first 10 tasks, newest first, each with every action (plain buttons, disabled ones saying why) and its status', async () => {
    const { container } = renderPage(<TasksPage />, { role: 'admin', routes: { 'GET /api/tasks': tasks } })
    await screen.findByText('task-25')
    expect(shownIds(container)).toEqual(Array.from({ length: 10 }, (_, i) => `task-${25 - i}`))
    expect(screen.getByText('25 tasks')).toBeTruthy()
    expect(container.querySelectorAll('tbody [data-testid="action-delete"]').length).toBe(10)
    expect(buttonState(container, 'action-resume')).toEqual({ disabled: true, why: 'Unavailable: the task is Scheduled.' })
    expect(buttonState(container, 'action-pause')).toEqual({ disabled: false, why: '' })
    expect([...container.querySelectorAll('[data-testid="status-tag"]')].map((s) => s.textContent)).toEqual(Array(10).fill('Scheduled'))
  })

  it('keeps the page size the user chose, and ignores a stored size it does not offer', async () => {
    localStorage.setItem('taskyard.tasks.pageSize', '20')
    const first = renderPage(<TasksPage />, { role: 'admin', routes: { 'GET /api/tasks': tasks } })
    await screen.findByText('task-25')
    expect(shownIds(first.container).length).toBe(20)
    first.unmount()
    localStorage.setItem('taskyard.tasks.pageSize', '1000')
    const second = renderPage(<TasksPage />, { role: 'admin', routes: { 'GET /api/tasks': tasks } })
    await screen.findByText('task-25')
    expect(shownIds(second.container).length).toBe(10)
  })
})
