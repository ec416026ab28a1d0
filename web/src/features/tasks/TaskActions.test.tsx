import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render } from '@testing-library/react'
import { App } from 'antd'
import { MemoryRouter } from 'react-router'
import { describe, expect, it } from 'vitest'
import { i18n } from '../../i18n'
import { TaskActions } from './TaskActions'

function renderActions(status: 'running' | 'stopped' | 'paused', role: 'admin' | 'viewer' = 'admin') {
  return render(
    <QueryClientProvider client={new QueryClient()}>
      <MemoryRouter>
        <App>
          <TaskActions task={{ task_id: 1, task_name: '<b>x</b>', status }} role={role} />
        </App>
      </MemoryRouter>
    </QueryClientProvider>,
  )
}

const state = (c: HTMLElement, action: string) => {
  const wrap = c.querySelector(`[data-testid="action-${action}"]`)!
  return { disabled: wrap.querySelector('button')!.disabled, why: wrap.getAttribute('data-why') }
}

describe('TaskActions', () => {
  it('shows every action, disabling those the status refuses with the reason', async () => {
    await i18n.changeLanguage('en')
    const { container } = renderActions('stopped')
    expect(['trigger', 'pause', 'resume', 'stop', 'delete'].map((a) => [a, state(container, a)])).toEqual([
      ['trigger', { disabled: false, why: '' }],
      ['pause', { disabled: true, why: 'Unavailable: the task is Stopped.' }],
      ['resume', { disabled: true, why: 'Unavailable: the task is Stopped.' }],
      ['stop', { disabled: true, why: 'Unavailable: the task is Stopped.' }],
      ['delete', { disabled: false, why: '' }],
    ])
  })

  it('disables every action for a viewer, in the chosen language', async () => {
    await i18n.changeLanguage('zh-CN')
    const { container } = renderActions('paused', 'viewer')
    expect(state(container, 'resume')).toEqual({ disabled: true, why: '当前不可用：您的角色（只读用户）只能查看。' })
    expect(container.querySelector('[data-testid="action-resume"] button')!.getAttribute('aria-label')).toBe(
      '恢复. 让已暂停的任务从暂停处继续。 当前不可用：您的角色（只读用户）只能查看。',
    )
    await i18n.changeLanguage('en')
  })
})
