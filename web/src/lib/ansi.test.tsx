import { render } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { renderAnsi, stripControl } from './ansi'

describe('ANSI log lines', () => {
  it('render HTML in a log line as text: no element, no handler', () => {
    const line = '<img src=x onerror="window.__x=1"><script>window.__y=1</script> \u001b[32mok\u001b[0m'
    const { container } = render(<div>{renderAnsi(line)}</div>)
    expect(container.querySelector('img, script, a')).toBeNull()
    expect(container.textContent).toBe('<img src=x onerror="window.__x=1"><script>window.__y=1</script> ok')
    expect((window as unknown as { __x?: number }).__x).toBeUndefined()
  })

  it('colour with spans, and drop OSC-8 hyperlinks keeping their text', () => {
    const line = '\u001b[31mred\u001b[0m \u001b]8;;javascript:alert(1)\u001b\\click\u001b]8;;\u001b\\ \u001b]8;;http://x\u0007bel\u001b]8;;\u0007'
    const { container } = render(<div>{renderAnsi(line)}</div>)
    expect(container.querySelector('a')).toBeNull()
    expect(container.textContent).toBe('red click bel')
    const red = [...container.querySelectorAll('span')].find((s) => s.textContent === 'red')!
    expect(red.style.color).toBe('rgb(187, 0, 0)')
    expect(container.innerHTML).not.toContain('javascript')
  })

  it('strip cursor movement and other non-colour escapes', () => {
    expect(stripControl('a\u001b[2Kb\u001b[1Ac\u001b]0;title\u0007d')).toBe('abcd')
    expect(renderAnsi('plain')).toEqual(['plain'])
  })
})
