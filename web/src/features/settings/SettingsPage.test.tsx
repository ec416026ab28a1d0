import { fireEvent, screen, waitFor } from '@testing-library/react'
import { beforeAll, describe, expect, it } from 'vitest'
import { i18n } from '../../i18n'
import { renderPage } from '../../test/page-harness'
import { SettingsPage } from './SettingsPage'

const settings = (over: Record<string, unknown> = {}) => ({
  body: {
    success: true,
    settings: { max_workers: 4, max_workers_source: 'config', when_busy: 'queue', configured_max_workers: 4, updated_at: null, updated_by: null, ...over },
  },
})

beforeAll(() => i18n.changeLanguage('en'))

describe('SettingsPage', () => {
  it('shows a viewer the settings with every control disabled and the save button saying why', async () => {
    renderPage(<SettingsPage />, { role: 'viewer', routes: { 'GET /api/settings': settings() } })
    const save = await screen.findByTestId('settings-save')
    expect(save.getAttribute('data-why')).toBe('Unavailable: only admins can do this.')
    expect(save.querySelector('button')!.disabled).toBe(true)
    expect((screen.getByRole('spinbutton') as HTMLInputElement).disabled).toBe(true)
  })

  it("sends an admin's max_workers and when_busy, and null to return to TASKYARD_MAX_WORKERS", async () => {
    const { sent } = renderPage(<SettingsPage />, {
      role: 'admin',
      routes: {
        'GET /api/settings': settings(),
        'PUT /api/settings': (s) => ({
          body: { success: true, message: 'Settings updated', settings: settings(s.body as Record<string, unknown>).body.settings },
        }),
      },
    })
    await screen.findByTestId('settings-save')
    fireEvent.click(screen.getByTestId('settings-from-config'))
    const input = screen.getByRole('spinbutton') as HTMLInputElement
    await waitFor(() => expect(input.disabled).toBe(false))
    fireEvent.focus(input)
    fireEvent.change(input, { target: { value: '2' } })
    fireEvent.blur(input)
    fireEvent.click(screen.getByLabelText('Refuse it'))
    fireEvent.click(screen.getByTestId('settings-save').querySelector('button')!)
    await waitFor(() => expect(sent.filter((s) => s.method === 'PUT').map((s) => s.body)).toEqual([{ max_workers: 2, when_busy: 'refuse' }]))
    fireEvent.click(screen.getByTestId('settings-from-config'))
    fireEvent.click(screen.getByTestId('settings-save').querySelector('button')!)
    await waitFor(() => expect(sent.filter((s) => s.method === 'PUT').length).toBe(2))
    expect(sent.filter((s) => s.method === 'PUT')[1]!.body).toEqual({ max_workers: null, when_busy: 'refuse' })
  })
})
