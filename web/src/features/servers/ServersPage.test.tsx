import { fireEvent, screen, waitFor } from '@testing-library/react'
import { beforeAll, describe, expect, it } from 'vitest'
import { i18n } from '../../i18n'
import { buttonState, renderPage } from '../../test/page-harness'
import { ServersPage } from './ServersPage'

const server = (over: Record<string, unknown> = {}) => ({
  id: 2,
  name: 'db-host',
  host: '10.0.0.5',
  port: 22,
  username: 'ops',
  auth_method: 'key',
  labels: ['eu'],
  description: '',
  host_key_fingerprint: 'SHA256:old',
  offered_host_key_fingerprint: null,
  operator_ids: [7],
  created_at: '2026-12-01',
  updated_at: '2026-12-01',
  ...over,
})

beforeAll(() => i18n.changeLanguage('en'))

describe('ServersPage', () => {
  it("shows an operator every button: the admin's disabled saying why, the shell task allowed where listed", async () => {
    const { container } = renderPage(<ServersPage />, {
      role: 'operator',
      userId: 7,
      routes: { 'GET /api/servers': { body: { success: true, servers: [server(), server({ id: 3, name: 'other', operator_ids: [] })] } } },
    })
    await screen.findByText('other')
    for (const id of ['server-create', 'server-test', 'server-edit', 'server-delete']) {
      expect(buttonState(container, id)).toEqual({ disabled: true, why: 'Unavailable: only admins can do this.' })
    }
    expect(buttonState(container, 'server-shell', 0)).toEqual({ disabled: false, why: '' })
    expect(buttonState(container, 'server-shell', 1).why).toBe('Unavailable: an admin has not listed you as an operator of this server.')
  })

  it('accepts a changed host key by the fingerprint the host offered', async () => {
    const { container, sent } = renderPage(<ServersPage />, {
      role: 'admin',
      routes: {
        'GET /api/servers': { body: { success: true, servers: [server({ offered_host_key_fingerprint: 'SHA256:new' })] } },
        'POST /api/servers/2/host-key': { body: { success: true, message: 'Host key accepted', server: server({ host_key_fingerprint: 'SHA256:new' }) } },
      },
    })
    expect((await screen.findByTestId('offered-key')).textContent).toBe('Host offered another key: SHA256:new')
    fireEvent.click(container.querySelector('[data-testid="server-accept-key"] button')!)
    const dialog = await screen.findByRole('dialog')
    fireEvent.click([...dialog.querySelectorAll('button')].find((b) => b.textContent === 'Accept host key')!)
    await waitFor(() => expect(sent.find((s) => s.path === '/api/servers/2/host-key')?.body).toEqual({ fingerprint: 'SHA256:new' }))
  })

  it('asks to force the delete of a server in use, then sends force=true', async () => {
    const { container, sent } = renderPage(<ServersPage />, {
      role: 'admin',
      routes: {
        'GET /api/servers': { body: { success: true, servers: [server()] } },
        'DELETE /api/servers/2': (s) =>
          s.query.includes('force=true')
            ? { body: { success: true, message: 'Server deleted' } }
            : { status: 409, body: { success: false, message: 'Server is in use', error: '2 tasks use it' } },
      },
    })
    await screen.findByText('db-host')
    expect(buttonState(container, 'server-accept-key').why).toBe('Unavailable: the host offered no other key.')
    fireEvent.click(container.querySelector('[data-testid="server-delete"] button')!)
    fireEvent.click(await screen.findByRole('button', { name: 'Yes' }))
    fireEvent.click(await screen.findByRole('button', { name: 'Force delete' }))
    await screen.findByText('Server deleted')
    expect(sent.filter((s) => s.method === 'DELETE').map((s) => s.query)).toEqual(['', '?force=true'])
  })

  it('never shows a stored secret back: the edit form starts with an empty key and sends none when left empty', async () => {
    const { container, sent } = renderPage(<ServersPage />, {
      role: 'admin',
      routes: {
        'GET /api/servers': { body: { success: true, servers: [server()] } },
        'GET /api/users': { body: { success: true, users: [] } },
        'PUT /api/servers/2': { body: { success: true, message: 'Server updated', server: server() } },
      },
    })
    await screen.findByText('db-host')
    fireEvent.click(container.querySelector('[data-testid="server-edit"] button')!)
    const key = (await screen.findByLabelText('Private key (PEM / OpenSSH)')) as HTMLTextAreaElement
    expect(key.value).toBe('')
    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    await waitFor(() => expect(sent.some((s) => s.method === 'PUT')).toBe(true))
    const body = sent.find((s) => s.method === 'PUT')!.body as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(['description', 'host', 'labels', 'name', 'operator_ids', 'port', 'username'])
  })
})
