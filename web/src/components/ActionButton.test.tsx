import { act, fireEvent, render, screen } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { ActionButton } from './ActionButton'

const tooltip = () => document.querySelector('.ant-tooltip')

describe('ActionButton', () => {
  it('mounts no tooltip until hovered, then shows what it does and why it is unavailable', async () => {
    const { container } = render(<ActionButton label="Pause" what="Pauses the task." why="Unavailable: it is stopped." onClick={() => undefined} testId="a" />)
    expect(tooltip()).toBeNull()
    const wrap = container.querySelector('[data-testid="a"]')!
    expect(wrap.querySelector('button')!.disabled).toBe(true)
    await act(async () => fireEvent.mouseEnter(wrap))
    await vi.waitFor(() => expect(tooltip()?.textContent).toBe('Pauses the task. Unavailable: it is stopped.'))
  })

  it('lets the keyboard reach a disabled button: its wrapper takes focus, keeps it, and shows the reason', async () => {
    const { container } = render(<ActionButton label="Stop" what="Stops the run." why="Unavailable: not running." onClick={() => undefined} testId="a" />)
    const wrap = container.querySelector<HTMLElement>('[data-testid="a"]')!
    expect(wrap.tabIndex).toBe(0)
    expect(wrap.getAttribute('aria-label')).toBe('Stop. Stops the run. Unavailable: not running.')
    await act(async () => wrap.focus())
    await vi.waitFor(() => expect(tooltip()?.textContent).toBe('Stops the run. Unavailable: not running.'))
    // Mounting the tooltip leaves the wrapper in place: focus stays where it was.
    expect(document.activeElement).toBe(wrap)
    expect(container.querySelector('[data-testid="a"]')).toBe(wrap)
  })

  it('an enabled button keeps its node and focus when its tooltip mounts, clicks, and hides the tooltip on blur', async () => {
    const onClick = vi.fn()
    const { container } = render(<ActionButton label="Run" what="Runs the task now." why={null} onClick={onClick} testId="a" />)
    expect(container.querySelector<HTMLElement>('[data-testid="a"]')!.tabIndex).toBe(-1)
    const button = screen.getByRole('button')
    await act(async () => button.focus())
    await vi.waitFor(() => expect(tooltip()?.textContent).toBe('Runs the task now.'))
    expect(screen.getByRole('button')).toBe(button)
    expect(document.activeElement).toBe(button)
    fireEvent.click(button)
    expect(onClick).toHaveBeenCalledOnce()
    await act(async () => button.blur())
    await vi.waitFor(() => expect(document.querySelector('.ant-tooltip-hidden, .ant-zoom-big-fast-leave')).not.toBeNull())
  })

  it('icon only: no text, the label leads the tooltip and names the button', async () => {
    const { container } = render(<ActionButton iconOnly label="Pause" what="Pauses the task." why={null} onClick={() => undefined} testId="a" />)
    const button = screen.getByRole('button')
    expect(button.textContent).toBe('')
    expect(button.getAttribute('aria-label')).toBe('Pause. Pauses the task.')
    await act(async () => fireEvent.mouseEnter(container.querySelector('[data-testid="a"]')!))
    await vi.waitFor(() => expect(tooltip()?.textContent).toBe('Pause: Pauses the task.'))
  })
})
