import { fireEvent, render, screen } from '@testing-library/react'
import { Form } from 'antd'
import { beforeAll, describe, expect, it } from 'vitest'
import { i18n } from '../i18n'
import { WhenFields } from './WhenFields'

beforeAll(() => i18n.changeLanguage('en'))

function renderForm(props: Parameters<typeof WhenFields>[0], initial: Record<string, unknown>) {
  return render(
    <Form initialValues={initial}>
      <WhenFields {...props} />
    </Form>,
  )
}

describe('WhenFields', () => {
  it('offers once, a delay or a cron; the cron choice reads the expression aloud as it is typed', async () => {
    renderForm({ once: { value: 'now', label: 'Now' } }, { when: 'now', cron_expression: '' })
    expect(screen.getAllByRole('radio').map((r) => r.closest('label')!.textContent)).toEqual(['Now', 'After a delay', 'On a cron schedule'])
    expect(screen.queryByLabelText('Delay in seconds')).toBeNull()
    fireEvent.click(screen.getByLabelText('After a delay'))
    expect(await screen.findByLabelText('Delay in seconds')).toBeTruthy()
    fireEvent.click(screen.getByLabelText('On a cron schedule'))
    fireEvent.change(await screen.findByLabelText('Cron expression (minute hour day month weekday)'), { target: { value: '*/5 * * * *' } })
    expect((await screen.findByTestId('cron-reading')).textContent).toBe('Every 5 minutes')
    expect(screen.getByTestId('cron-preview').querySelectorAll('.ant-list-item')).toHaveLength(5)
  })

  it("spec 001's shell task: no delay, and the cron field under the JSON body's name", async () => {
    const { container } = renderForm({ once: { value: 'once', label: 'Now' }, delay: false, cronName: 'cron_expr' }, { when: 'cron', cron_expr: '0 9 * * 1' })
    expect(screen.getAllByRole('radio')).toHaveLength(2)
    expect(container.querySelector('#cron_expr')).not.toBeNull()
    expect((await screen.findByTestId('cron-reading')).textContent).toBe('At 09:00, only on Monday')
  })
})
