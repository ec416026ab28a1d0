import { act, fireEvent, render, screen } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { ActionButton } from './ActionButton'

const tooltip = () => document.querySelector('.ant-tooltip')
/** Shown: mounted and neither hidden nor on its way out. */
const shown = () => {
  const el = tooltip()
  return el !== null && !el.classList.contains('ant-tooltip-hidden') && !el.className.includes('-leave')
}
/** The keyboard's Tab, as the browser sees it before it moves the focus. */
const tab = () => fireEvent.keyDown(document.activeElement ?? document.body, { key: 'Tab' })

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
    await act(async () => {
      tab()
      wrap.focus()
    })
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
    await act(async () => {
      tab()
      button.focus()
    })
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

  it('closes its tooltip on a click, and the focus the click gave the button does not open it again once the pointer leaves', async () => {
    const onClick = vi.fn()
    const { container } = render(<ActionButton label="Run" what="Runs the task now." why={null} onClick={onClick} testId="a" />)
    const wrap = container.querySelector('[data-testid="a"]')!
    const button = screen.getByRole('button')
    await act(async () => fireEvent.mouseEnter(wrap))
    await vi.waitFor(() => expect(shown()).toBe(true))
    // A click as the browser gives it: press (which focuses the button), release, click.
    await act(async () => {
      fireEvent.pointerDown(button)
      fireEvent.mouseDown(button)
      button.focus()
      fireEvent.mouseUp(button)
      fireEvent.click(button)
    })
    expect(onClick).toHaveBeenCalledOnce()
    expect(document.activeElement).toBe(button)
    await vi.waitFor(() => expect(shown()).toBe(false))
    await act(async () => fireEvent.mouseLeave(wrap))
    expect(wrap.getAttribute('data-tooltip')).toBe('closed')
    expect(shown()).toBe(false)
    // Pointing at it again shows it again.
    await act(async () => fireEvent.mouseEnter(wrap))
    await vi.waitFor(() => expect(shown()).toBe(true))
  })

  it('opens no tooltip when the focus comes back after a click elsewhere (a confirm dialog closing), only after a key', async () => {
    const { container } = render(<ActionButton label="Pause" what="Pauses the task." why="Unavailable: it is stopped." onClick={() => undefined} testId="a" />)
    const wrap = container.querySelector<HTMLElement>('[data-testid="a"]')!
    await act(async () => {
      fireEvent.pointerDown(document.body)
      wrap.focus()
    })
    expect(document.activeElement).toBe(wrap)
    expect(wrap.getAttribute('data-tooltip')).toBe('closed')
    expect(tooltip()).toBeNull()
    await act(async () => {
      wrap.blur()
      tab()
      wrap.focus()
    })
    await vi.waitFor(() => expect(shown()).toBe(true))
  })

  it('icon only (a plain button): disabled with its reason reachable by the keyboard, and a loading one is busy and not clicked twice', async () => {
    const onClick = vi.fn()
    const { container, rerender } = render(
      <ActionButton iconOnly label="Stop" what="Stops the run." why="Unavailable: not running." onClick={onClick} testId="a" />,
    )
    const wrap = container.querySelector<HTMLElement>('[data-testid="a"]')!
    expect(wrap.querySelector('button')!.disabled).toBe(true)
    expect(wrap.tabIndex).toBe(0)
    await act(async () => fireEvent.mouseEnter(wrap))
    await vi.waitFor(() => expect(tooltip()?.textContent).toBe('Stop: Stops the run. Unavailable: not running.'))
    rerender(<ActionButton iconOnly label="Stop" what="Stops the run." why={null} loading onClick={onClick} testId="a" />)
    const button = screen.getByRole<HTMLButtonElement>('button')
    expect(button.disabled).toBe(false)
    expect(button.getAttribute('aria-busy')).toBe('true')
    fireEvent.click(button)
    expect(onClick).not.toHaveBeenCalled()
    rerender(<ActionButton iconOnly label="Stop" what="Stops the run." why={null} onClick={onClick} testId="a" />)
    fireEvent.click(screen.getByRole('button'))
    expect(onClick).toHaveBeenCalledOnce()
  })
})
